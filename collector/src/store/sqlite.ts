import Database from 'better-sqlite3'
import {randomUUID} from 'node:crypto'
import {chmodSync, closeSync, existsSync, mkdirSync, openSync} from 'node:fs'
import {dirname} from 'node:path'

import {retryBusy, SQLITE_ADMIN_GIVE_UP_MS, SQLITE_BUSY_GIVE_UP_MS, SQLITE_BUSY_TIMEOUT_MS} from './busy.js'
import {decodeMessage, type DictValue, type EncodedEvent, encodeMessage, uuidBytes, uuidText} from './codec.js'
import {type Dictionary, MissingString} from './dictionary.js'
import {hashInstanceId, type PreparedMessage, prepareMessage, type TelemetryMessage} from './message.js'
import {type Fact} from './report/facts.js'
import {factFromRow, rowFilter, sharedParser} from './report/raw.js'
import {DAY_MS} from './report/time.js'
import {CHUNK_EVENTS} from './rollup/aggregator.js'
import {OTHER, PROPERTY_CAP} from './rollup/cap.js'
import {advance, startingClosedThrough} from './rollup/close.js'
import {type AggDelta} from './rollup/delta.js'
import {MONTH, periodsOf, WEEK} from './rollup/periods.js'
import {chunkDelta, deletionDelta, sessionIds} from './rollup/plan.js'
import {RollupQueries, type RollupReader} from './rollup/query.js'
import {lostOnRebuild} from './rollup/rebuild-check.js'
import {AGG_TABLES, FIXED_STRINGS, type IdOf, isFixedString, stringsOf} from './rollup/rows.js'
import {DATA_COLUMNS, dataValues, dictValuesOf, encodedFromRow, type EventRow} from './rows.js'
import {SqliteAggregatorThread} from './sqlite-aggregator-thread.js'
import {SQLITE_ROLLUP_SCHEMA} from './sqlite-legacy.js'
import {SQLITE_AGG_SCHEMA, SQLITE_CLOSED_PERIODS, SQLITE_PROPERTY_CAP, SqliteRollups} from './sqlite-rollups.js'
import {SqliteSharedLock} from './sqlite-shared-lock.js'
import {SqliteStrings, STRINGS_GENERATION_SCHEMA} from './sqlite-strings.js'
import {
  type ActiveQuery,
  type ActiveRow,
  type DeletionRecord,
  type InsertResult,
  type PropertiesQuery,
  type PropertyRow,
  type PurgeOptions,
  type PurgeResult,
  type RebuildOptions,
  type RebuildResult,
  type ReportFilter,
  type ReportQuery,
  type ReportRow,
  type SessionsQuery,
  type SessionsReport,
  type Store,
} from './store.js'

const MIGRATIONS: string[] = [
  // 1: the first schema (whole JSON per event); kept so that old files migrate through 2.
  `CREATE TABLE IF NOT EXISTS events (
     message_id TEXT PRIMARY KEY,
     instance_id TEXT NOT NULL,
     product TEXT NOT NULL,
     product_version TEXT,
     event TEXT NOT NULL,
     command TEXT,
     os TEXT,
     day TEXT NOT NULL,
     timestamp TEXT NOT NULL,
     received_at TEXT NOT NULL,
     message TEXT NOT NULL
   ) WITHOUT ROWID;
   CREATE TABLE IF NOT EXISTS tombstones (
     instance_hash TEXT PRIMARY KEY,
     created_at TEXT NOT NULL
   );
   CREATE TABLE IF NOT EXISTS deletions (
     deletion_id TEXT PRIMARY KEY,
     instance_hash TEXT NOT NULL,
     requested_at TEXT NOT NULL,
     completed_at TEXT,
     events_deleted INTEGER NOT NULL DEFAULT 0
   );`,
  // 2: compact events (typed columns, dictionary-coded strings, 16-byte ids); old rows are
  // converted by convertLegacyEvents() after the migration.
  `ALTER TABLE events RENAME TO events_v1;
   DROP INDEX IF EXISTS events_instance;
   DROP INDEX IF EXISTS events_product_day;
   DROP INDEX IF EXISTS events_day;
   DROP INDEX IF EXISTS events_received_at;
   CREATE TABLE strings (id INTEGER PRIMARY KEY, value TEXT NOT NULL UNIQUE);
   CREATE TABLE instances (id INTEGER PRIMARY KEY, uid BLOB NOT NULL UNIQUE);
   CREATE TABLE events (
     id INTEGER PRIMARY KEY,
     message_id BLOB NOT NULL UNIQUE,
     instance INTEGER NOT NULL,
     ts INTEGER NOT NULL,
     received INTEGER NOT NULL,
     session BLOB,
     bits INTEGER NOT NULL,
     product INTEGER NOT NULL, version INTEGER, event INTEGER NOT NULL, command INTEGER, outcome INTEGER,
     error INTEGER, os INTEGER, arch INTEGER, ci INTEGER, node INTEGER, suggestion INTEGER, flags INTEGER,
     context INTEGER,
     duration INTEGER, args INTEGER, exit_code INTEGER, unknown_flags INTEGER, tty INTEGER,
     extra TEXT
   );
   CREATE INDEX events_instance ON events (instance);
   CREATE INDEX events_ts ON events (ts);
   CREATE INDEX events_received ON events (received);
   CREATE INDEX deletions_requested ON deletions (requested_at);`,
  // 3: the first aggregates (replaced by 4).
  SQLITE_ROLLUP_SCHEMA,
  // 4: aggregate rows per reported dimension, folded in by the background aggregator from its
  // watermark (0 here: the aggregates are rebuilt from the raw events).
  SQLITE_AGG_SCHEMA,
  // 5: week and month rows only once those periods close; rebuilt in the background.
  SQLITE_CLOSED_PERIODS,
  // 6: the dictionary's generation, now that two connections (the server's and its aggregator
  // thread's) write the strings table.
  STRINGS_GENERATION_SCHEMA,
  // 7: the property cap; the days stored before are capped by capStoredDays() when the store opens.
  SQLITE_PROPERTY_CAP,
]

const EVENT_COLUMNS = ['message_id', 'instance', 'ts', 'received', 'session', ...DATA_COLUMNS]
const SELECT_ROW = `SELECT e.message_id, e.instance, i.uid AS instance_id, e.ts, e.session, ${DATA_COLUMNS.map((c) => `e.${c}`).join(', ')}
  FROM events e JOIN instances i ON i.id = e.instance`

/** A message on its way in: its columns. */
interface Incoming {
  encoded: EncodedEvent
}

/** A request's batch waiting for the group commit. */
interface QueuedInsert {
  events: Incoming[]
  reject(error: unknown): void
  resolve(result: InsertResult): void
}

/** Events per group commit, at most (plus the last batch taken). */
const GROUP_COMMIT_EVENTS = 2000
/**
 * How long a batch waits for others to join its commit: requests inflate and parse over several
 * loop turns, and an fsync (several ms) costs far more than this.
 */
const GROUP_COMMIT_WAIT_MS = 2

interface SqliteRow extends Omit<EventRow, 'instance_id' | 'message_id' | 'session'> {
  instance_id: Buffer
  message_id: Buffer
  session: Buffer | null
}

function eventRow(row: SqliteRow): EventRow {
  return {
    ...row,
    instance_id: uuidText(row.instance_id),
    message_id: uuidText(row.message_id),
    session: row.session === null ? null : uuidText(row.session),
  }
}

export interface SqliteStoreOptions {
  /**
   * Values a custom property keeps per day (see rollup/cap.ts). Given and different from the
   * store's, every stored day is capped again when the store opens; otherwise the store's stays
   * (PROPERTY_CAP for a new one).
   */
  propertyCap?: number
  /** Open an existing file for reading only (reports while a server owns the file). */
  readonly?: boolean
  /**
   * `aggregator`: the aggregator thread's own connection, which folds when told to (foldNext) and
   * runs deletion, purge and rebuild itself. Otherwise a writable store hands those to that thread.
   */
  role?: 'aggregator'
  /** The aggregator thread's side of the write lock it shares with the server's connection. */
  sharedLock?: SqliteSharedLock
  /**
   * `full` (default): every commit is fsynced, so an answered request survives power loss.
   * `normal`: in WAL mode commits survive a crash of the process (SIGKILL) but the last
   * transactions may be lost on power loss.
   */
  synchronous?: 'full' | 'normal'
}

/** Create the database file (and fix its WAL and shared-memory files) with mode 0600. */
function privateFile(path: string): void {
  mkdirSync(dirname(path), {mode: 0o700, recursive: true})
  if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600))
  // SQLite creates -wal and -shm with the database file's mode; fix files left by older versions.
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      chmodSync(file, 0o600)
    } catch {
      // Absent, or not ours: nothing to tighten.
    }
  }
}

/**
 * SQLite store (better-sqlite3, WAL). One process writes the file (the server; admin operations
 * go through it); other processes may read it (`report --store`). Ingest stores raw events only;
 * the aggregator folds them into the aggregates shortly after (see rollup/aggregator.ts).
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const
  /** A group commit is scheduled or running. */
  private committing = false
  private readonly db: Database.Database
  private readonly dict: Dictionary
  private readonly foldTx: Database.Transaction<() => number>
  /** The last group commit stored several batches. */
  private grouping = false
  private readonly id: IdOf
  private readonly insertTx: Database.Transaction<(batches: Incoming[][]) => InsertResult[]>
  /** The write lock as this connection and the other one of this process share it. */
  private readonly lock: SqliteSharedLock | undefined
  private readonly queries: RollupQueries
  /** Inserts waiting for the next group commit. */
  private queued: QueuedInsert[] = []
  private readonly rollups: SqliteRollups
  private readonly statements = new Map<string, Database.Statement>()
  private readonly strings: SqliteStrings
  /** The aggregator thread of the server's connection. */
  private readonly thread: SqliteAggregatorThread | undefined

  constructor(path: string, options: SqliteStoreOptions = {}) {
    if (path === ':memory:' || path === '') throw new Error('the SQLite store needs a file path')
    this.lock = options.sharedLock
    if (options.readonly) {
      this.db = new Database(path, {fileMustExist: true, readonly: true})
    } else {
      privateFile(path)
      this.db = new Database(path)
      this.db.pragma('journal_mode = WAL')
      this.db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`)
      // Deleted rows are overwritten with zeros in the file, not just unlinked from the b-tree.
      this.db.pragma('secure_delete = ON')
      // The aggregator rewrites rows all over the aggregates: keep their pages in memory.
      this.db.pragma('cache_size = -65536')
      // An aggregator chunk grows the WAL by megabytes: truncate it after checkpoints, not to keep
      // its largest size on disk.
      this.db.pragma('journal_size_limit = 8388608')
    }

    this.db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`)
    // The aggregator thread opens the file once the server's connection has migrated it.
    if (!options.readonly && options.role !== 'aggregator') this.migrate()
    this.strings = new SqliteStrings(this.db)
    this.dict = this.strings.dict
    this.rollups = new SqliteRollups(this.db, this.dict)
    this.id = (value) => (value === null ? 0 : this.dict.idOf(value)!)
    this.queries = new RollupQueries(
      {...bind(this.rollups), rawFacts: async (filter) => this.rawFacts(filter)},
      this.dict,
    )
    this.insertTx = this.makeInsert()
    this.foldTx = this.transaction(() => this.foldChunk())
    if (!options.readonly && options.role !== 'aggregator') {
      this.convertLegacyEvents()
      this.capStoredDays(options.propertyCap)
      this.thread = new SqliteAggregatorThread({path, synchronous: options.synchronous})
      this.lock = this.thread.lock
      this.thread.start()
      // Events not aggregated yet (a migration rebuilds the aggregates): fold them soon.
      if (this.watermark() < this.lastEventId()) this.thread.poke()
    }
  }

  async active(query: ActiveQuery): Promise<ActiveRow[]> {
    await this.aggregate()
    return this.read(() => this.queries.active(query))
  }

  /** Fold every stored event into the aggregates now (reports do so before answering). */
  async aggregate(): Promise<void> {
    const upTo = this.lastEventId()
    if (this.thread && this.watermark() < upTo) await this.thread.call('catchUp', upTo)
  }

  async close(): Promise<void> {
    await this.thread?.close()
    if (this.db.open) this.db.close()
  }

  async countEvents(): Promise<number> {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM events').get() as {n: number}).n
  }

  async deleteInstance(instanceId: string): Promise<DeletionRecord> {
    if (this.thread) return this.thread.call('deleteInstance', instanceId)
    const hash = hashInstanceId(instanceId)
    const uid = uuidBytes(instanceId.toLowerCase())
    const tx = this.transaction(() => {
      const requestedAt = new Date().toISOString()
      this.db
        .prepare('INSERT INTO tombstones (instance_hash, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING')
        .run(hash, requestedAt)
      const instance = this.db.prepare('SELECT id FROM instances WHERE uid = ?').get(uid) as undefined | {id: number}
      let deleted = 0
      if (instance) {
        // Every event is aggregated first, so the deletion takes away exactly what was added.
        this.catchUpSync()
        const facts = this.rowsToFacts(
          this.statement(`${SELECT_ROW} WHERE e.instance = ?`).all(instance.id) as SqliteRow[],
        )
        const delta = deletionDelta(
          instance.id,
          facts,
          this.storedSessions(sessionIds(facts), Number.MAX_SAFE_INTEGER),
          {closedThrough: this.rollups.closedThrough() ?? Number.NEGATIVE_INFINITY, id: this.id},
        )
        this.addStrings(delta.tallyStrings())
        this.rollups.apply(delta, instance.id)
        deleted = this.db.prepare('DELETE FROM events WHERE instance = ?').run(instance.id).changes
        this.db.prepare('DELETE FROM instances WHERE id = ?').run(instance.id)
        this.forgetStrings(delta)
      }

      const record: DeletionRecord = {
        completed_at: new Date().toISOString(),
        deletion_id: randomUUID(),
        events_deleted: deleted,
        requested_at: requestedAt,
      }
      this.db
        .prepare(
          'INSERT INTO deletions (deletion_id, instance_hash, requested_at, completed_at, events_deleted) VALUES (?, ?, ?, ?, ?)',
        )
        .run(record.deletion_id, hash, record.requested_at, record.completed_at, record.events_deleted)
      return record
    })
    const record = await this.write(() => tx.immediate())
    if (record.events_deleted > 0) await this.checkpoint()
    return record
  }

  /** The aggregator thread's step: fold the next chunk; the events folded (0: caught up). */
  async foldNext(): Promise<number> {
    return this.write(() => this.foldTx.immediate(), SQLITE_ADMIN_GIVE_UP_MS)
  }

  async getDeletion(deletionId: string): Promise<DeletionRecord | undefined> {
    return this.db
      .prepare('SELECT deletion_id, requested_at, completed_at, events_deleted FROM deletions WHERE deletion_id = ?')
      .get(deletionId.toLowerCase()) as DeletionRecord | undefined
  }

  async getMessage(messageId: string): Promise<unknown> {
    const row = this.db.prepare(`${SELECT_ROW} WHERE e.message_id = ?`).get(uuidBytes(messageId.toLowerCase())) as
      SqliteRow | undefined
    if (row === undefined) return undefined
    return this.withStrings(() => decodeMessage(encodedFromRow(eventRow(row), this.dict)))
  }

  /**
   * Group commit: the batches of requests that arrive together (or while a commit or the aggregator
   * holds the write lock) are stored in one transaction, so one fsync makes them all durable; each
   * call returns its own counts once its events are committed.
   */
  async insert(messages: readonly PreparedMessage[]): Promise<InsertResult> {
    if (messages.length === 0) return {accepted: 0, duplicates: 0, suppressed: 0}
    const events: Incoming[] = messages.map((m) => ({encoded: encodeMessage(m.message, m.messageId)}))
    const queued = async () =>
      new Promise<InsertResult>((resolve, reject) => {
        this.queued.push({events, reject, resolve})
        this.commitSoon()
      })
    const result = await (this.thread ? this.thread.ingesting(queued) : queued())
    if (result.accepted > 0) this.thread?.poke()
    return result
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get()
  }

  async properties(query: PropertiesQuery): Promise<PropertyRow[]> {
    await this.aggregate()
    return this.read(() => this.queries.properties(query))
  }

  async purge(cutoff: Date, options: PurgeOptions = {}): Promise<PurgeResult> {
    if (Number.isNaN(cutoff.getTime())) throw new Error('purge: invalid cutoff date')
    if (this.thread) return this.thread.call('purge', cutoff, options)
    const tx = this.transaction(() => {
      // The aggregates keep what the purged events added.
      this.catchUpSync()
      const events = this.db
        .prepare('DELETE FROM events WHERE received < ?')
        .run(Math.floor(cutoff.getTime() / 1000)).changes
      let deletions = 0
      if (options.deletions) {
        const iso = cutoff.toISOString()
        deletions = this.db.prepare('DELETE FROM deletions WHERE requested_at < ?').run(iso).changes
        this.db.prepare('DELETE FROM tombstones WHERE created_at < ?').run(iso)
      }

      let rollups = 0
      if (options.rollups) {
        // Periods that ended before the cutoff's day, week and month.
        const [day, week, month] = periodsOf(cutoff.getTime())
        for (const table of AGG_TABLES) {
          rollups += this.db
            .prepare(
              `DELETE FROM ${table} WHERE period < ? OR (period >= ${WEEK} AND period < ?) OR (period >= ${MONTH} AND period < ?)`,
            )
            .run(day, week - 6, month).changes
        }
      }

      return {deletions, events, rollups}
    })
    const result = await this.write(() => tx.immediate())
    if (result.events > 0 || result.rollups > 0) await this.checkpoint()
    return result
  }

  async rebuild(options: RebuildOptions = {}): Promise<RebuildResult> {
    if (this.thread) return this.thread.call('rebuild', options)
    const tx = this.transaction((): RebuildResult => {
      this.catchUpSync()
      const perDay = this.db.prepare(`SELECT ts / ${DAY_MS} AS day, COUNT(*) FROM events GROUP BY day`).raw().all()
      const purged = lostOnRebuild(this.rollups.periodTotals(), new Map(perDay as [number, number][]))
      if (purged > 0 && !options.discardPurged) return {events: 0, purged, rebuilt: false}
      for (const table of AGG_TABLES) this.db.exec(`DELETE FROM ${table}`)
      this.db.prepare('UPDATE aggregator SET watermark = 0, closed_through = NULL').run()
      return {events: this.catchUpSync(), purged, rebuilt: true}
    })
    const result = await this.write(() => tx.immediate(), SQLITE_ADMIN_GIVE_UP_MS)
    await this.checkpoint()
    return result
  }

  async report(query: ReportQuery): Promise<ReportRow[]> {
    await this.aggregate()
    return this.read(() => this.queries.report(query))
  }

  async sessions(query: SessionsQuery): Promise<SessionsReport> {
    await this.aggregate()
    return this.read(() => this.queries.sessions(query))
  }

  /** The highest event id folded into the aggregates. */
  watermark(): number {
    return (this.statement('SELECT watermark FROM aggregator').get() as {watermark: number}).watermark
  }

  /** Strings new to the dictionary, added inside the caller's write transaction. */
  private addStrings(values: Iterable<DictValue>): void {
    this.strings.add(values)
  }

  /**
   * Caps the stored days at `wanted` if they are not yet (a store aggregated before the cap
   * existed, or a new one) or at another cap (see rollup/cap.ts); in one transaction, so a failure
   * leaves them as they were and the next open tries again.
   */
  private capStoredDays(wanted: number | undefined): void {
    this.addStrings([OTHER])
    const stored = this.db.prepare('SELECT property_cap FROM aggregator').pluck().get() as null | number
    const cap = wanted ?? stored ?? PROPERTY_CAP
    if (cap === stored) return
    const tx = this.transaction(() => this.rollups.capTo(cap, this.rollups.closedThrough() ?? Number.NEGATIVE_INFINITY))
    tx.immediate()
  }

  /** Fold every event above the watermark, inside the caller's transaction; returns the events folded. */
  private catchUpSync(): number {
    let events = 0
    for (let n = this.foldChunk(); n > 0; n = this.foldChunk()) events += n
    return events
  }

  /** Move the WAL's content into the file and truncate it, so no old page version stays readable. */
  private async checkpoint(): Promise<void> {
    for (let attempt = 0; attempt < 50; attempt++) {
      // A truncating checkpoint takes the write lock too: the other connection waits for it.
      this.lock?.set(true)
      let status: {busy: number}
      try {
        ;[status] = this.db.pragma('wal_checkpoint(TRUNCATE)') as {busy: number}[]
      } finally {
        this.lock?.set(false)
      }

      if (status.busy === 0) return
      // A reader (report in another process) holds an old snapshot: try again shortly.
      // eslint-disable-next-line no-await-in-loop -- retries are sequential
      await new Promise((resolve) => {
        setTimeout(resolve, 20)
      })
    }
  }

  /** Commit the next group of queued batches (bounded: one transaction keeps the event loop briefly). */
  private commitQueued(): void {
    let events = 0
    const group: QueuedInsert[] = []
    while (this.queued.length > 0 && events < GROUP_COMMIT_EVENTS) {
      const next = this.queued.shift()!
      group.push(next)
      events += next.events.length
    }

    // Batches arrive together: the next ones wait a little for company. One client alone never waits.
    this.grouping = group.length > 1
    this.write(() => this.insertTx.immediate(group.map((g) => g.events)))
      .then(
        (results) => {
          for (const [i, g] of group.entries()) g.resolve(results[i])
        },
        (error: unknown) => {
          for (const g of group) g.reject(error)
        },
      )
      .finally(() => {
        this.committing = false
        if (this.queued.length > 0) this.commitSoon()
      })
  }

  /**
   * Commit the queued batches once the current loop turn has queued what arrived with them (and, when
   * batches arrive together, once GROUP_COMMIT_WAIT_MS has passed).
   */
  private commitSoon(): void {
    if (this.committing) return
    this.committing = true
    if (this.grouping) setTimeout(() => this.commitQueued(), GROUP_COMMIT_WAIT_MS)
    else setImmediate(() => this.commitQueued())
  }

  /** Convert events stored by schema 1 (whole JSON) into the compact form, then drop them. */
  private convertLegacyEvents(): void {
    const legacy = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events_v1'").get()
    if (!legacy) return
    const read = this.db.prepare('SELECT message FROM events_v1')
    const batch: Incoming[] = []
    const flush = () => {
      this.strings.undoOnFailure(() => this.insertTx.immediate([batch]))
      batch.length = 0
    }

    for (const row of read.iterate() as Iterable<{message: string}>) {
      const prepared = prepareMessage(JSON.parse(row.message) as TelemetryMessage)
      batch.push({encoded: encodeMessage(prepared.message, prepared.messageId)})
      if (batch.length >= 1000) flush()
    }

    if (batch.length > 0) flush()
    this.db.exec('DROP TABLE events_v1')
  }

  /**
   * The aggregator's step, inside the caller's transaction: the next events above the watermark,
   * in id order, merged in memory and written row by row in key order. Returns the events folded.
   */
  private foldChunk(): number {
    const state = this.statement('SELECT watermark, closed_through FROM aggregator').get() as {
      closed_through: null | number
      watermark: number
    }
    const rows = this.statement(
      `${SELECT_ROW.replace('SELECT ', 'SELECT e.id, ')} WHERE e.id > ? ORDER BY e.id LIMIT ${CHUNK_EVENTS}`,
    ).all(state.watermark) as (SqliteRow & {id: number})[]
    if (rows.length === 0) return 0
    const last = rows.at(-1)!.id
    const facts = this.rowsToFacts(rows)
    const strings = new Set<string>(FIXED_STRINGS)
    for (const fact of facts) stringsOf(fact, strings)
    this.addStrings(strings)
    const closedThrough = startingClosedThrough(state.closed_through, facts)
    const sessions = this.storedSessions(sessionIds(facts), state.watermark, facts)
    const delta = chunkDelta(facts, sessions, {closedThrough, id: this.id})
    this.addStrings(delta.tallyStrings())
    this.rollups.apply(delta)
    const next = advance(closedThrough, facts)
    for (const period of this.rollups.closingWithEvents(next.periods)) this.rollups.close(period, next.closedThrough)
    this.statement('UPDATE aggregator SET watermark = ?, closed_through = ?').run(last, next.closedThrough)
    return rows.length
  }

  /**
   * Aggregate values (custom property values among them) and session keys no longer used after a
   * deletion are overwritten in the dictionary (ids are never reused). Dimension names stay.
   */
  private forgetStrings(delta: AggDelta): void {
    const candidates = new Set<number>()
    for (const row of [...delta.rows(), ...delta.spilledRows()]) {
      const value = row.value === 0 ? undefined : this.dict.decode(row.value)
      if (typeof value === 'string' && !isFixedString(value)) candidates.add(row.value)
    }

    for (const key of delta.tallyStrings()) candidates.add(this.dict.idOf(key)!)
    // The other connection sees the table's generation change and loads it again.
    this.strings.overwrite(this.rollups.unused(candidates))
  }

  /** The newest event id ever used (ids only grow, even after deletions). */
  private lastEventId(): number {
    const sql = 'SELECT MAX(COALESCE((SELECT MAX(id) FROM events), 0), (SELECT watermark FROM aggregator)) AS id'
    return (this.statement(sql).get() as {id: number}).id
  }

  /** One transaction storing several batches (see insert()), each with its own counts. */
  private makeInsert(): Database.Transaction<(batches: Incoming[][]) => InsertResult[]> {
    const isTombstoned = this.db.prepare('SELECT 1 AS one FROM tombstones WHERE instance_hash = ?')
    const findInstance = this.db.prepare('SELECT id FROM instances WHERE uid = ?')
    const addInstance = this.db.prepare('INSERT INTO instances (uid) VALUES (?)')
    const insertEvent = this.db.prepare(
      `INSERT INTO events (id, ${EVENT_COLUMNS.join(', ')}) VALUES (?, ${EVENT_COLUMNS.map(() => '?').join(', ')})
       ON CONFLICT (message_id) DO NOTHING`,
    )
    // Event ids only grow, even after the newest events were deleted: the aggregator's watermark
    // must never hide a new event.
    const lastId = this.db.prepare(
      'SELECT MAX(COALESCE((SELECT MAX(id) FROM events), 0), (SELECT watermark FROM aggregator)) AS id',
    )
    const insertBatch = (events: Incoming[]): InsertResult => {
      this.addStrings(dictValuesOf(events))
      const received = Math.floor(Date.now() / 1000)
      const instances = new Map<string, null | number>()
      const result: InsertResult = {accepted: 0, duplicates: 0, suppressed: 0}
      let {id} = lastId.get() as {id: number}
      for (const {encoded: event} of events) {
        let instance = instances.get(event.instanceId)
        if (instance === undefined) {
          if (isTombstoned.get(hashInstanceId(event.instanceId)) === undefined) {
            const uid = uuidBytes(event.instanceId)
            const found = findInstance.get(uid) as undefined | {id: number}
            instance = found ? found.id : Number(addInstance.run(uid).lastInsertRowid)
          } else {
            instance = null
          }

          instances.set(event.instanceId, instance)
        }

        if (instance === null) {
          result.suppressed++
          continue
        }

        const info = insertEvent.run(
          ++id,
          uuidBytes(event.messageId),
          instance,
          event.ts,
          received,
          event.sessionId === null ? null : uuidBytes(event.sessionId),
          ...dataValues(event, this.dict),
        )
        if (info.changes === 1) result.accepted++
        else result.duplicates++
      }

      return result
    }

    return this.transaction((batches: Incoming[][]) => batches.map((events) => insertBatch(events)))
  }

  /** Apply pending migrations; returns the versions applied. */
  private migrate(): number[] {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)')
    const applied: number[] = []
    const run = this.db.transaction(() => {
      const row = this.db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as {v: null | number}
      for (let version = (row.v ?? 0) + 1; version <= MIGRATIONS.length; version++) {
        this.db.exec(MIGRATIONS[version - 1])
        this.db
          .prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)')
          .run(version, new Date().toISOString())
        applied.push(version)
      }
    })
    run.immediate()
    return applied
  }

  /** Events of a multi-level filter (the raw path), narrowed in SQL by its columns and days. */
  private rawFacts(filter: ReportFilter): Fact[] {
    const where = rowFilter(filter, this.dict)
    if (!where) return []
    const clauses = where.equal.map(([column]) => `e.${column} = ?`)
    const params: number[] = where.equal.map(([, id]) => id)
    if (where.fromTs !== undefined) {
      clauses.push('e.ts >= ?')
      params.push(where.fromTs)
    }

    if (where.toTs !== undefined) {
      clauses.push('e.ts < ?')
      params.push(where.toTs)
    }

    const sql = `${SELECT_ROW}${clauses.length > 0 ? ` WHERE ${clauses.join(' AND ')}` : ''}`
    return this.rowsToFacts(this.db.prepare(sql).all(...params) as SqliteRow[])
  }

  /** Reports read strings another process may have added (the filter values too): load them first. */
  private async read<T>(query: () => Promise<T>): Promise<T> {
    this.strings.sync()
    try {
      return await query()
    } catch (error) {
      if (!(error instanceof MissingString)) throw error
      this.strings.sync()
      return query()
    }
  }

  private rowsToFacts(rows: SqliteRow[]): Fact[] {
    const parse = sharedParser()
    return this.withStrings(() => rows.map((row) => factFromRow(eventRow(row), this.dict, parse)))
  }

  /** A prepared statement, prepared once. */
  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql)
    if (!statement) this.statements.set(sql, (statement = this.db.prepare(sql)))
    return statement
  }

  /**
   * Every command event of the sessions, by session: those stored with an id up to `upTo`, and
   * `newer` (events above it, already read).
   */
  private storedSessions(sessions: string[], upTo: number, newer: readonly Fact[] = []): Map<string, Fact[]> {
    const out = new Map<string, Fact[]>()
    const select = this.statement(`${SELECT_ROW} WHERE e.session = ? AND e.id <= ?`)
    for (const session of sessions) {
      const rows = select.all(uuidBytes(session), upTo) as SqliteRow[]
      out.set(session, rows.length === 0 ? [] : this.rowsToFacts(rows).filter((f) => f.event === 'command'))
    }

    for (const fact of newer) if (fact.event === 'command' && fact.session !== null) out.get(fact.session)?.push(fact)
    return out
  }

  /**
   * A write transaction that first loads the strings the other connection added (holding the write
   * lock, so the cache is exact for the whole transaction).
   */
  private transaction<A extends unknown[], T>(work: (...args: A) => T): Database.Transaction<(...args: A) => T> {
    return this.db.transaction((...args: A) => {
      this.lock?.set(true)
      this.strings.sync()
      return work(...args)
    })
  }

  /** Run `read`, reloading the dictionary once if a row names a string added by another process. */
  private withStrings<T>(read: () => T): T {
    try {
      return read()
    } catch (error) {
      if (!(error instanceof MissingString)) throw error
      this.strings.sync()
      return read()
    }
  }

  /**
   * Run a write transaction; busy waits are async, and last while the other connection of this
   * process holds the lock (its transactions end). Strings it added leave the cache if it fails.
   */
  private async write<T>(work: () => T, giveUpMs = SQLITE_BUSY_GIVE_UP_MS): Promise<T> {
    return retryBusy(
      () => {
        try {
          return this.strings.undoOnFailure(work)
        } finally {
          this.lock?.set(false)
        }
      },
      giveUpMs,
      this.lock,
    )
  }
}

/** A reader's methods bound to it (spread into the queries' reader). */
function bind(rollups: SqliteRollups): Omit<RollupReader, 'rawFacts'> {
  return {
    closedThrough: async () => rollups.closedThrough() ?? Number.NEGATIVE_INFINITY,
    dayBounds: (dim) => rollups.dayBounds(dim),
    dims: (periods, level) => rollups.dims(periods, level),
    kept: (days, dim) => rollups.kept(days, dim),
    rows: (periods, level, dim, values) => rollups.rows(periods, level, dim, values),
    tallySets: (periods, kind) => rollups.tallySets(periods, kind),
    totals: (periods, level, dim) => rollups.totals(periods, level, dim),
  }
}
