/**
 * The SQLite aggregator in a worker thread (sqlite-aggregator-worker.ts), seen from the server's
 * thread: folding runs on another core with its own connection to the file, so the HTTP event loop
 * only inserts. This side pokes it after inserts, asks it to catch up before reports, hands it the
 * other writes that fold first (deletion, purge, rebuild) and stops it on close.
 */
import {Worker} from 'node:worker_threads'

import type {DeletionRecord, PurgeOptions, PurgeResult, RebuildOptions, RebuildResult} from './store.js'

import {SqliteSharedLock} from './sqlite-shared-lock.js'

/** The two sides of the shared write lock. */
export const SERVER_SIDE = 0
export const AGGREGATOR_SIDE = 1

/** What the worker is started with. */
export interface AggregatorWorkerData {
  /** Inserts running on the server's thread (one Int32): the worker folds in the pauses. */
  ingesting: SharedArrayBuffer
  /** The write lock the two connections share (SqliteSharedLock). */
  lock: SharedArrayBuffer
  path: string
  synchronous?: 'full' | 'normal'
}

/** Requests the worker answers, and their answers. */
export interface AggregatorCalls {
  catchUp(upTo: number): void
  deleteInstance(instanceId: string): DeletionRecord
  purge(cutoff: Date, options: PurgeOptions): PurgeResult
  rebuild(options: RebuildOptions): RebuildResult
}

export type AggregatorRequest =
  | {
      [M in keyof AggregatorCalls]: {args: Parameters<AggregatorCalls[M]>; id: number; method: M; type: 'call'}
    }[keyof AggregatorCalls]
  | {type: 'close'}
  | {type: 'poke'}

export type AggregatorReply =
  {error: {code?: string; message: string; name: string}; id: number} | {id: number; result: unknown}

/** Longest wait for the worker to finish its chunk and close its connection before it is terminated. */
const CLOSE_GRACE_MS = 10_000

interface Pending {
  reject(error: Error): void
  resolve(value: unknown): void
}

export class SqliteAggregatorThread {
  /** The server's side of the write lock. */
  readonly lock: SqliteSharedLock
  private closed = false
  private readonly ingestCount = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT))
  private readonly lockBuffer = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT)
  private nextId = 1
  private readonly pending = new Map<number, Pending>()
  private worker: undefined | Worker

  constructor(private readonly settings: Omit<AggregatorWorkerData, 'ingesting' | 'lock'>) {
    this.lock = new SqliteSharedLock(this.lockBuffer, SERVER_SIDE)
  }

  /** Ask the worker; its errors come back with their name, message and code (SQLITE_BUSY: retry later). */
  async call<M extends keyof AggregatorCalls>(
    method: M,
    ...args: Parameters<AggregatorCalls[M]>
  ): Promise<ReturnType<AggregatorCalls[M]>> {
    if (this.closed) throw new Error('the store is closed')
    const worker = this.start()
    const id = this.nextId++
    const answer = new Promise<unknown>((resolve, reject) => {
      this.pending.set(id, {reject, resolve})
    })
    // Waiting for an answer keeps the process alive; an idle worker does not.
    worker.ref()
    worker.postMessage({args, id, method, type: 'call'} as AggregatorRequest)
    try {
      return (await answer) as ReturnType<AggregatorCalls[M]>
    } finally {
      if (this.pending.size === 0) this.worker?.unref()
    }
  }

  /** Stop the worker: it finishes the chunk it is folding (one transaction) and closes its connection. */
  async close(): Promise<void> {
    this.closed = true
    const {worker} = this
    if (!worker) return
    const exited = new Promise<void>((resolve) => {
      worker.once('exit', () => resolve())
    })
    worker.postMessage({type: 'close'} as AggregatorRequest)
    const timer = setTimeout(() => {
      // A chunk that does not end: stopping the thread rolls its transaction back (the watermark with it).
      worker.terminate().catch(() => {})
    }, CLOSE_GRACE_MS)
    await exited
    clearTimeout(timer)
  }

  /** Run an insert, letting the worker know ingest is running (it folds in the pauses). */
  async ingesting<T>(insert: () => Promise<T>): Promise<T> {
    Atomics.add(this.ingestCount, 0, 1)
    try {
      return await insert()
    } finally {
      Atomics.sub(this.ingestCount, 0, 1)
    }
  }

  /** New events were stored: fold them soon. */
  poke(): void {
    if (this.closed) return
    this.start().postMessage({type: 'poke'} as AggregatorRequest)
  }

  /**
   * Start the worker now (the server's store does, when it opens): loading its modules takes a
   * moment, which the first insert, report or deletion should not wait for.
   */
  start(): Worker {
    if (this.worker) return this.worker
    const workerData: AggregatorWorkerData = {
      ...this.settings,
      ingesting: this.ingestCount.buffer as SharedArrayBuffer,
      lock: this.lockBuffer,
    }
    const worker = spawnWorker(workerData)
    worker.unref()
    worker.on('message', (reply: AggregatorReply) => {
      const pending = this.pending.get(reply.id)
      if (!pending) return
      this.pending.delete(reply.id)
      if ('error' in reply)
        pending.reject(Object.assign(new Error(reply.error.message), {code: reply.error.code, name: reply.error.name}))
      else pending.resolve(reply.result)
    })
    worker.on('error', (error) => this.stopped(worker, error))
    worker.on('exit', (code) => this.stopped(worker, new Error(`the aggregator thread stopped (exit code ${code})`)))
    this.worker = worker
    return worker
  }

  /** The worker is gone: requests waiting for it fail, and the next one starts a new worker. */
  private stopped(worker: Worker, error: Error): void {
    if (this.worker !== worker) return
    this.worker = undefined
    // A worker stopped inside a transaction took its lock with it.
    Atomics.store(new Int32Array(this.lockBuffer), AGGREGATOR_SIDE, 0)
    for (const pending of this.pending.values()) pending.reject(error)
    this.pending.clear()
  }
}

/**
 * The built JavaScript (dist/) runs as it is. The TypeScript sources (tests, benchmarks, a source
 * checkout) run under tsx: a worker thread does not inherit the tsx loader, and Node 20 cannot start
 * one on a .ts file, so a one-line script loads it through tsx's API.
 */
function spawnWorker(workerData: AggregatorWorkerData): Worker {
  if (!import.meta.url.endsWith('.ts')) {
    return new Worker(new URL('sqlite-aggregator-worker.js', import.meta.url), {workerData})
  }

  const entry = JSON.stringify(new URL('sqlite-aggregator-worker.ts', import.meta.url).href)
  // eslint-disable-next-line n/no-unsupported-features/node-builtins -- only from the sources, under tsx (Node >= 20.6)
  const api = JSON.stringify(import.meta.resolve('tsx/esm/api'))
  return new Worker(`import(${api}).then(({tsImport}) => tsImport(${entry}, ${entry}))`, {eval: true, workerData})
}
