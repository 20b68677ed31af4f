/**
 * The analytics engine: a DuckDB file beside the store of record, fed from it in id order (the
 * watermark) and from its change log (deletions, purges), so it is derived and rebuildable. Every
 * collector has its own; several on one PostgreSQL each answer every report, equal.
 *
 * Reports first catch up with the store's newest acknowledged event, so they reflect every one.
 * A background pass keeps the lag small between reports. After a deletion or purge, the file is
 * compacted (its live rows copied into a fresh file that replaces it): DuckDB leaves deleted rows'
 * bytes in freed blocks, and no byte of deleted events may stay readable.
 */
/* eslint-disable no-await-in-loop -- the engine's writes run one after another, in order */
import {type DuckDBConnection, DuckDBInstance} from '@duckdb/node-api'
import {chmodSync, renameSync} from 'node:fs'

import type {Store, StoredFact} from '../store/store.js'

import {HttpError} from '../errors.js'
import {ValueBound} from './bound.js'
import {appendFacts} from './feed.js'
import {engineBytes, engineFiles, removeEngineFiles} from './location.js'
import * as reports from './reports.js'
import {ANALYTICS_SCHEMA, ANALYTICS_SCHEMA_VERSION, DATA_TABLES, seenFromLiveRows} from './schema.js'
import {
  type ActiveQuery,
  type ActiveRow,
  type PropertiesQuery,
  type PropertyRow,
  type ReportQuery,
  type ReportRow,
  type RetentionQuery,
  type RetentionReport,
  type SessionsQuery,
  type SessionsReport,
} from './types.js'

export interface AnalyticsOptions {
  /** Seconds after a deletion or purge before the file is compacted (default 60; at most 900). */
  compactAfterSeconds?: number
  /** Errors and progress worth an operator's eye. */
  log?: {error(object: object, message: string): void; warn(object: object, message: string): void}
  /** DuckDB's memory limit, e.g. "1GB" (default). */
  memoryLimit?: string
  /** Report rows backed by fewer distinct instances are folded into "(other)" (default 3; 1: off). */
  minInstances?: number
  /** Where the DuckDB file goes. */
  path: string
  /** DuckDB's threads (default 2). */
  threads?: number
  /** Distinct values kept per dimension and UTC day; later new ones count as "(other)" (default 1000). */
  valuesPerDay?: number
}

export interface AnalyticsStatus {
  /** The last error of the background pass, while it keeps failing. */
  error?: string
  /** Events the store acknowledged that the engine has not read yet (at the last pass). */
  lag_events: number
  /** Events skipped because the engine could not take them (each logged), when any. */
  skipped_events?: number
  /** ok, behind (more than a chunk to read), or failing. */
  status: 'behind' | 'failing' | 'ok'
  /** The newest store id the engine holds. */
  watermark: number
}

/** What the server asks of the engine, in this thread (Analytics) or in a worker (AnalyticsThread). */
export interface Reports {
  active(query: ActiveQuery): Promise<ActiveRow[]>
  /** Read everything the store has acknowledged so far, and apply its deletions and purges. */
  catchUp(): Promise<void>
  close(): Promise<void>
  log: AnalyticsOptions['log']
  properties(query: PropertiesQuery): Promise<PropertyRow[]>
  rebuild(): Promise<{events: number}>
  report(query: ReportQuery): Promise<ReportRow[]>
  retention(query: RetentionQuery): Promise<RetentionReport>
  sessions(query: SessionsQuery): Promise<SessionsReport>
  /** Bytes of the engine's files on disk. */
  sizeBytes(): number
  status(): AnalyticsStatus
}

/** Events read from the store per step (one DuckDB append each). */
export const CHUNK_EVENTS = 20_000
/** More events than this left to read, a report answers 503 (Retry-After) instead of waiting. */
const BACKLOG_EVENTS = 200_000
/** The background pass's period. */
const PASS_MS = 250

type Row = Record<string, unknown>

export class Analytics implements Reports {
  /** Where errors go (the server's logger, once it has one). */
  log: AnalyticsOptions['log']
  private bound!: ValueBound
  private changeSeq = 0
  private closed = false
  /** The compaction due after a deletion or purge. */
  private compactDue: NodeJS.Timeout | undefined
  private compacted = 0
  private db!: DuckDBInstance
  private failure: string | undefined
  /** The readers' gate: compaction closes it while it swaps the file. */
  private gate: Promise<void> = Promise.resolve()
  private lag = 0
  private readonly options: Required<Omit<AnalyticsOptions, 'log'>>
  /** The one writer's queue: passes, deletions applied, compaction, rebuild run one at a time. */
  private queue: Promise<unknown> = Promise.resolve()
  private readerDrained: (() => void) | undefined
  private readers = 0
  /** Events skipped because the engine could not take them (logged). */
  private skipped = 0
  private timer: NodeJS.Timeout | undefined
  private watermark = 0
  private write!: DuckDBConnection

  private constructor(
    private readonly store: Store,
    options: AnalyticsOptions,
  ) {
    this.log = options.log
    this.options = {
      compactAfterSeconds: Math.min(options.compactAfterSeconds ?? 60, 900),
      memoryLimit: options.memoryLimit ?? '1GB',
      minInstances: options.minInstances ?? 3,
      path: options.path,
      threads: options.threads ?? 2,
      valuesPerDay: options.valuesPerDay ?? 1000,
    }
  }

  /** Open (or create) the engine's file for `store`, and start feeding it in the background. */
  static async open(store: Store, options: AnalyticsOptions): Promise<Analytics> {
    const analytics = new Analytics(store, options)
    await analytics.connect()
    analytics.timer = setInterval(() => {
      analytics.pass().catch(() => {})
    }, PASS_MS)
    analytics.timer.unref()
    return analytics
  }

  /** The engine's DuckDB file. */
  get path(): string {
    return this.options.path
  }

  async active(query: ActiveQuery): Promise<ActiveRow[]> {
    return this.answer((select) => reports.active(select, query))
  }

  /** Read everything the store has acknowledged so far, and apply its deletions and purges. */
  async catchUp(): Promise<void> {
    const target = await this.store.lastEventId()
    await this.exclusive(async () => {
      this.lag = Math.max(0, target - this.watermark)
      while (this.watermark < target) {
        if ((await this.step()) === 0) break
        this.lag = Math.max(0, target - this.watermark)
      }

      await this.applyChanges()
    })
  }

  async close(): Promise<void> {
    this.closed = true
    clearInterval(this.timer)
    // A compaction still due runs now: closing would otherwise write the deleted rows' pages into
    // the file, and no later run might come to remove them.
    if (this.compactDue) await this.compact().catch(() => {})
    clearTimeout(this.compactDue)
    await this.exclusive(async () => {
      this.disconnect()
    })
  }

  /** Copy the live rows into a fresh file and swap it in: no deleted row's bytes stay readable. */
  async compact(): Promise<void> {
    clearTimeout(this.compactDue)
    this.compactDue = undefined
    await this.exclusive(async () => {
      let open!: () => void
      this.gate = new Promise((resolve) => {
        open = resolve
      })
      try {
        if (this.readers > 0) {
          await new Promise<void>((resolve) => {
            this.readerDrained = resolve
          })
        }

        const fresh = `${this.options.path}.compact`
        removeEngineFiles(fresh)
        await this.write.run(`ATTACH '${fresh.replaceAll("'", "''")}' AS fresh`)
        await this.write.run(ANALYTICS_SCHEMA.replaceAll('EXISTS ', 'EXISTS fresh.'))
        for (const table of ['state', ...DATA_TABLES]) {
          await this.write.run(`INSERT INTO fresh.${table} SELECT * FROM ${table}`)
        }

        // Not copied: the values kept per day come again from the live rows (no deleted value stays).
        await this.write.run(seenFromLiveRows('fresh.seen'))

        await this.write.run('DETACH fresh')
        this.disconnect()
        removeEngineFiles(this.options.path)
        renameSync(fresh, this.options.path)
        await this.connect()
        this.bound.reset()
        this.compacted++
      } finally {
        open()
      }
    })
  }

  /** Compactions done since the engine opened. */
  compactions(): number {
    return this.compacted
  }

  async properties(query: PropertiesQuery): Promise<PropertyRow[]> {
    return this.answer((select) => reports.properties(select, query))
  }

  /** Recreate the engine's data from the store of record (after a repair, or an engine upgrade). */
  async rebuild(): Promise<{events: number}> {
    await this.exclusive(async () => {
      for (const table of [...DATA_TABLES, 'seen']) await this.write.run(`DELETE FROM ${table}`)
      this.bound.reset()
      // Only what the store holds now: the changes logged so far are in it already.
      this.watermark = 0
      this.changeSeq = (await this.lastChange()) ?? 0
      await this.setState(this.watermark, this.changeSeq)
    })
    await this.catchUp()
    await this.compact()
    const [row] = await this.select('SELECT count(*)::INTEGER AS n FROM events', [])
    return {events: row.n as number}
  }

  async report(query: ReportQuery): Promise<ReportRow[]> {
    return this.answer((select) => reports.report(select, query, this.options.minInstances))
  }

  async retention(query: RetentionQuery): Promise<RetentionReport> {
    return this.answer((select) => reports.retention(select, query))
  }

  async sessions(query: SessionsQuery): Promise<SessionsReport> {
    return this.answer((select) => reports.sessions(select, query))
  }

  /** Bytes of the engine's files on disk. */
  sizeBytes(): number {
    return engineBytes(this.options.path)
  }

  status(): AnalyticsStatus {
    return {
      ...(this.failure === undefined ? {} : {error: this.failure}),
      lag_events: this.lag,
      ...(this.skipped > 0 ? {skipped_events: this.skipped} : {}),
      status: this.failure === undefined ? (this.lag > CHUNK_EVENTS ? 'behind' : 'ok') : 'failing',
      watermark: this.watermark,
    }
  }

  /** A report: caught up first, then read (several at once, never during a compaction's swap). */
  private async answer<T>(run: (select: reports.Select) => Promise<T>): Promise<T> {
    // Far behind (a first start on a large store, an upgrade): say so rather than keep the request
    // waiting past its timeout; the background pass goes on reading meanwhile.
    const behind = (await this.store.lastEventId()) - this.watermark
    if (behind > BACKLOG_EVENTS) {
      throw new HttpError(
        503,
        `the analytics engine is reading the store (${behind} events to go): ask again shortly`,
        Math.ceil(behind / 20_000),
      )
    }

    await this.catchUp()
    return run((sql, values) => this.select(sql, values))
  }

  /**
   * Append a chunk; one that fails is appended again in halves, so that an event the engine cannot
   * take (whatever it holds) is skipped alone and logged, never retried forever with its chunk.
   */
  private async append(facts: readonly StoredFact[]): Promise<void> {
    try {
      await appendFacts(this.write, await this.bound.apply(facts))
      await this.bound.commit()
    } catch (error) {
      this.bound.reset()
      // What the failed append left is taken away: the rows above the last one appended before it.
      const before = facts[0].id - 1
      for (const table of DATA_TABLES) await this.write.run(`DELETE FROM ${table} WHERE id > ?`, [before])
      if (facts.length === 1) {
        this.skipped++
        this.log?.error({err: error, id: facts[0].id}, 'analytics: an event could not be read into the engine; skipped')
        return
      }

      const half = Math.ceil(facts.length / 2)
      await this.append(facts.slice(0, half))
      await this.append(facts.slice(half))
    }
  }

  private async applyChanges(): Promise<void> {
    for (;;) {
      const changes = await this.store.changesAfter(this.changeSeq)
      if (changes.length === 0) return
      for (const change of changes) {
        // Flags and properties first: a purge finds their rows through the events'.
        for (const table of [...DATA_TABLES].reverse()) {
          if (change.instance !== undefined) {
            await this.write.run(`DELETE FROM ${table} WHERE instance = ?`, [change.instance])
          }

          if (change.purgedBefore !== undefined) {
            await this.write.run(`DELETE FROM ${table} WHERE id IN (SELECT id FROM events WHERE received < ?)`, [
              change.purgedBefore,
            ])
          }
        }
      }

      this.changeSeq = changes.at(-1)!.seq
      await this.setState(this.watermark, this.changeSeq)
      this.compactSoon()
    }
  }

  private compactSoon(): void {
    if (this.compactDue || this.closed) return
    this.compactDue = setTimeout(() => {
      this.compact().catch((error: unknown) => {
        this.log?.error({err: error}, 'analytics: compaction failed; retried after the next deletion')
      })
    }, this.options.compactAfterSeconds * 1000)
    this.compactDue.unref()
  }

  private async connect(): Promise<void> {
    this.db = await DuckDBInstance.create(this.options.path, {
      memory_limit: this.options.memoryLimit,
      // Rows need no order of insertion kept: less memory for large aggregations.
      preserve_insertion_order: 'false',
      threads: String(this.options.threads),
    })
    this.write = await this.db.connect()
    this.bound = new ValueBound(this.write, this.options.valuesPerDay)
    // Files left readable by others (an older version, another umask): narrowed to their owner.
    for (const file of engineFiles(this.options.path)) {
      try {
        chmodSync(file, 0o600)
      } catch {
        // No WAL now.
      }
    }

    await this.write.run(ANALYTICS_SCHEMA)
    const state = new Map(
      (await this.rows(this.write, 'SELECT name, value::BIGINT AS value FROM state', [])).map((r) => [
        r.name as string,
        Number(r.value),
      ]),
    )
    const version = state.get('schema') ?? ANALYTICS_SCHEMA_VERSION
    this.watermark = version === ANALYTICS_SCHEMA_VERSION ? (state.get('watermark') ?? 0) : 0
    this.changeSeq = state.get('changes') ?? (await this.lastChange()) ?? 0
    if (version !== ANALYTICS_SCHEMA_VERSION) {
      // A file of another version: its tables are made again, and read again from the store.
      for (const table of [...DATA_TABLES, 'seen']) await this.write.run(`DROP TABLE ${table}`)
      await this.write.run(ANALYTICS_SCHEMA)
    }

    // Rows appended after the last watermark was saved (a crash between the two) are read again.
    for (const table of DATA_TABLES) await this.write.run(`DELETE FROM ${table} WHERE id > ?`, [this.watermark])
    await this.setState(this.watermark, this.changeSeq)
  }

  private disconnect(): void {
    this.write?.closeSync()
    this.db?.closeSync()
  }

  /** Run `work` as the engine's one writer, after the work queued before it. */
  private async exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work)
    this.queue = run.catch(() => {})
    return run
  }

  /** The newest change logged (a new engine starts after it: its events are gone already). */
  private async lastChange(): Promise<number | undefined> {
    let seq: number | undefined
    for (let changes = await this.store.changesAfter(0); changes.length > 0;) {
      seq = changes.at(-1)!.seq
      changes = await this.store.changesAfter(seq)
    }

    return seq
  }

  /** The background pass: catch up, or say why it cannot. */
  private async pass(): Promise<void> {
    if (this.closed) return
    try {
      await this.catchUp()
      this.failure = undefined
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      // Once per kind of failure, not at every pass.
      if (message !== this.failure) this.log?.error({err: error}, 'analytics: catching up with the store failed')
      this.failure = message
    }
  }

  private async rows(connection: DuckDBConnection, sql: string, values: unknown[]): Promise<Row[]> {
    const reader = await connection.runAndReadAll(sql, values as never)
    return reader.getRowObjectsJS() as Row[]
  }

  private async select(sql: string, values: unknown[]): Promise<Row[]> {
    await this.gate
    this.readers++
    // A connection per query: DuckDB runs them side by side, each on the engine's threads.
    const connection = await this.db.connect()
    try {
      return await this.rows(connection, sql, values)
    } finally {
      connection.closeSync()
      this.readers--
      if (this.readers === 0) this.readerDrained?.()
    }
  }

  private async setState(watermark: number, changes: number): Promise<void> {
    await this.write.run(`INSERT OR REPLACE INTO state VALUES ('schema', ?), ('watermark', ?), ('changes', ?)`, [
      ANALYTICS_SCHEMA_VERSION,
      watermark,
      changes,
    ])
  }

  /** Read and append the next chunk; the events read (0: caught up). */
  private async step(): Promise<number> {
    const facts = await this.store.factsAfter(this.watermark, CHUNK_EVENTS)
    if (facts.length === 0) return 0
    await this.append(facts)
    this.watermark = facts.at(-1)!.id
    await this.setState(this.watermark, this.changeSeq)
    return facts.length
  }
}
