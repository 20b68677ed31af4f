/**
 * The analytics engine in a worker thread (worker.ts), seen from the server's thread: reading the
 * store and appending to DuckDB run on another core, with the worker's own connection to the store,
 * so the HTTP event loop only validates and inserts. Reports are asked of the worker and answered
 * by it; its state (for /healthz) comes back after every background pass.
 */
import {Worker} from 'node:worker_threads'

import type {AnalyticsOptions, AnalyticsStatus, Reports} from './engine.js'
import type {
  ActiveQuery,
  ActiveRow,
  PropertiesQuery,
  PropertyRow,
  ReportQuery,
  ReportRow,
  RetentionQuery,
  RetentionReport,
  SessionsQuery,
  SessionsReport,
} from './types.js'

import {HttpError} from '../errors.js'
import {engineBytes} from './location.js'

/** What the worker is started with: where the store is, and the engine's options. */
export interface AnalyticsWorkerData {
  options: Omit<AnalyticsOptions, 'log'>
  /** The store's location (a SQLite file, opened read-only there, or a PostgreSQL URL). */
  store: string
}

type Method = 'active' | 'catchUp' | 'compact' | 'properties' | 'rebuild' | 'report' | 'retention' | 'sessions'

export type WorkerRequest = {args: unknown[]; id: number; method: Method; type: 'call'} | {type: 'close'}

export type WorkerReply =
  | {error: {message: string; name: string; retryAfter?: number; statusCode?: number}; id: number; type: 'answer'}
  | {id: number; result: unknown; type: 'answer'}
  | {log: {message: string; object: object}; type: 'log'}
  | {status: AnalyticsStatus; type: 'status'}

interface Pending {
  reject(error: Error): void
  resolve(value: unknown): void
}

/** Longest wait for the worker to close DuckDB and the store before it is stopped. */
const CLOSE_GRACE_MS = 10_000

export class AnalyticsThread implements Reports {
  log: AnalyticsOptions['log']
  private closed = false
  private lastStatus: AnalyticsStatus = {lag_events: 0, status: 'ok', watermark: 0}
  private nextId = 1
  private readonly pending = new Map<number, Pending>()
  /** Settles with the worker's first state (its engine is open), or its failure to start. */
  private readonly ready: Promise<void>
  private readonly worker: Worker

  private constructor(private readonly data: AnalyticsWorkerData) {
    this.log = undefined
    this.worker = spawnWorker(data)
    this.ready = new Promise((resolve, reject) => {
      this.worker.once('message', () => resolve())
      this.worker.once('error', reject)
      this.worker.once('exit', (code) => reject(new Error(`the analytics thread stopped (exit code ${code})`)))
    })
    this.worker.on('message', (reply: WorkerReply) => this.received(reply))
    this.worker.on('error', (error) => this.stopped(error))
    this.worker.on('exit', (code) => this.stopped(new Error(`the analytics thread stopped (exit code ${code})`)))
  }

  /**
   * Start the worker and wait until its engine is open, not until it has read the store: on a large
   * store that takes a while, and ingest must not wait for it (reports say 503 meanwhile).
   */
  static async open(data: AnalyticsWorkerData): Promise<AnalyticsThread> {
    const thread = new AnalyticsThread(data)
    await thread.ready
    return thread
  }

  async active(query: ActiveQuery): Promise<ActiveRow[]> {
    return this.call('active', query) as Promise<ActiveRow[]>
  }

  async catchUp(): Promise<void> {
    await this.call('catchUp')
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    const exited = new Promise<void>((resolve) => {
      this.worker.once('exit', () => resolve())
    })
    this.worker.postMessage({type: 'close'} satisfies WorkerRequest)
    const timer = setTimeout(() => {
      this.worker.terminate().catch(() => {})
    }, CLOSE_GRACE_MS)
    await exited
    clearTimeout(timer)
  }

  async compact(): Promise<void> {
    await this.call('compact')
  }

  async properties(query: PropertiesQuery): Promise<PropertyRow[]> {
    return this.call('properties', query) as Promise<PropertyRow[]>
  }

  async rebuild() {
    return this.call('rebuild') as Promise<{events: number}>
  }

  async report(query: ReportQuery): Promise<ReportRow[]> {
    return this.call('report', query) as Promise<ReportRow[]>
  }

  async retention(query: RetentionQuery): Promise<RetentionReport> {
    return this.call('retention', query) as Promise<RetentionReport>
  }

  async sessions(query: SessionsQuery): Promise<SessionsReport> {
    return this.call('sessions', query) as Promise<SessionsReport>
  }

  sizeBytes(): number {
    return engineBytes(this.data.options.path)
  }

  status(): AnalyticsStatus {
    return this.lastStatus
  }

  private async call(method: Method, ...args: unknown[]): Promise<unknown> {
    if (this.closed) throw new Error('analytics: closed')
    const id = this.nextId++
    const answer = new Promise<unknown>((resolve, reject) => {
      this.pending.set(id, {reject, resolve})
    })
    this.worker.postMessage({args, id, method, type: 'call'} satisfies WorkerRequest)
    return answer
  }

  private received(reply: WorkerReply): void {
    if (reply.type === 'status') {
      this.lastStatus = reply.status
      return
    }

    if (reply.type === 'log') {
      this.log?.error(reply.log.object, reply.log.message)
      return
    }

    const pending = this.pending.get(reply.id)
    if (!pending) return
    this.pending.delete(reply.id)
    if (!('error' in reply)) {
      pending.resolve(reply.result)
      return
    }

    const {message, name, retryAfter, statusCode} = reply.error
    // An answer the worker chose (503 while it catches up) stays one; anything else is an error.
    if (statusCode === undefined) pending.reject(Object.assign(new Error(message), {name}))
    else pending.reject(new HttpError(statusCode, message, retryAfter))
  }

  /** The worker is gone: requests waiting for it fail, and /healthz says so. */
  private stopped(error: Error): void {
    this.lastStatus = {...this.lastStatus, error: error.message, status: 'failing'}
    for (const pending of this.pending.values()) pending.reject(error)
    this.pending.clear()
  }
}

/**
 * The built JavaScript (dist/) runs as it is. The TypeScript sources (tests, benchmarks, a source
 * checkout) run under tsx: a worker thread does not inherit the tsx loader, and Node 20 cannot start
 * one on a .ts file, so a one-line script loads it through tsx's API.
 */
function spawnWorker(workerData: AnalyticsWorkerData): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('worker.js', import.meta.url), {workerData})
  const entry = JSON.stringify(new URL('worker.ts', import.meta.url).href)
  // eslint-disable-next-line n/no-unsupported-features/node-builtins -- only from the sources, under tsx (Node >= 20.6)
  const api = JSON.stringify(import.meta.resolve('tsx/esm/api'))
  return new Worker(`import(${api}).then(({tsImport}) => tsImport(${entry}, ${entry}))`, {eval: true, workerData})
}
