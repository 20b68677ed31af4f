import Database from 'better-sqlite3'
import {randomUUID} from 'node:crypto'
import {chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync} from 'node:fs'
import {dirname} from 'node:path'

import {retryBusy, SQLITE_ADMIN_GIVE_UP_MS, SQLITE_BUSY_GIVE_UP_MS, SQLITE_BUSY_TIMEOUT_MS} from './busy.js'
import {decodeMessage, type EncodedEvent, encodeMessage, uuidBytes, uuidText} from './codec.js'
import {MissingString} from './dictionary.js'
import {type EngineRow, sharedParser, storedFactFromRow} from './facts.js'
import {hashInstanceId, type PreparedMessage, prepareMessage, type TelemetryMessage} from './message.js'
import {DATA_COLUMNS, dataValues, dictValuesOf, encodedFromRow, type EventRow} from './rows.js'
import {
  SQLITE_AGG_SCHEMA,
  SQLITE_CLOSED_PERIODS,
  SQLITE_DROP_ROLLUPS,
  SQLITE_PROPERTY_CAP,
  SQLITE_ROLLUP_SCHEMA,
} from './sqlite-legacy.js'
import {SqliteStrings, STRINGS_GENERATION_SCHEMA} from './sqlite-strings.js'
import {
  type DeletionRecord,
  type InsertResult,
  type PurgeOptions,
  type PurgeResult,
  type Store,
  type StoreChange,
  type StoredFact,
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
  // 7: the property cap of the aggregates.
  SQLITE_PROPERTY_CAP,
  // 8: the aggregates give way to the analytics engine (src/analytics), fed from `events` by id;
  // `changes` tells every engine what was deleted or purged.
  SQLITE_DROP_ROLLUPS,
]

const EVENT_COLUMNS = ['message_id', 'instance', 'ts', 'received', 'session', ...DATA_COLUMNS]
const SELECT_ROW = `SELECT e.message_id, e.instance, i.uid AS instance_id, e.ts, e.session, ${DATA_COLUMNS.map((c) => `e.${c}`).join(', ')}
  FROM events e JOIN instances i ON i.id = e.instance`
/** What the analytics engine reads (no instance id: reports never show one). */
const SELECT_ENGINE_ROWS = `SELECT id, received, message_id, instance, ts, session, ${DATA_COLUMNS.join(', ')}
  FROM events WHERE id > ? ORDER BY id LIMIT ?`

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
  /** Open an existing file for reading only (another process, while a server owns the file). */
  readonly?: boolean
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
 * go through it); other processes may read it.
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const
  /** A group commit is scheduled or running. */
  private committing = false
  private readonly db: Database.Database
  /** The last group commit stored several batches. */
  private grouping = false
  private readonly insertTx: Database.Transaction<(batches: Incoming[][]) => InsertResult[]>
  private readonly path: string
  /** Inserts waiting for the next group commit. */
  private queued: QueuedInsert[] = []
  private readonly statements = new Map<string, Database.Statement>()
  private readonly strings: SqliteStrings

  constructor(path: string, options: SqliteStoreOptions = {}) {
    if (path === ':memory:' || path === '') throw new Error('the SQLite store needs a file path')
    this.path = path
    if (options.readonly) {
      this.db = new Database(path, {fileMustExist: true, readonly: true})
    } else {
      privateFile(path)
      this.db = new Database(path)
      this.db.pragma('journal_mode = WAL')
      this.db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`)
      // Deleted rows are overwritten with zeros in the file, not just unlinked from the b-tree.
      this.db.pragma('secure_delete = ON')
      // Inserts land all over the message_id and instance indexes (ids are random, batches mix
      // instances): keep their pages in memory.
      this.db.pragma('cache_size = -65536')
      // A large deletion or purge grows the WAL: truncate it after checkpoints, not to keep its
      // largest size on disk.
      this.db.pragma('journal_size_limit = 8388608')
    }

    this.db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`)
    if (!options.readonly) this.migrate()
    this.strings = new SqliteStrings(this.db)
    this.insertTx = this.makeInsert()
    if (!options.readonly) this.convertLegacyEvents()
  }

  async changesAfter(afterSeq: number): Promise<StoreChange[]> {
    const rows = this.statement(
      'SELECT seq, instance, purged_before FROM changes WHERE seq > ? ORDER BY seq LIMIT 1000',
    ).all(afterSeq) as {instance: null | number; purged_before: null | number; seq: number}[]
    return rows.map((r) => ({
      seq: r.seq,
      ...(r.instance === null ? {} : {instance: r.instance}),
      ...(r.purged_before === null ? {} : {purgedBefore: r.purged_before}),
    }))
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close()
  }

  async countEvents(): Promise<number> {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM events').get() as {n: number}).n
  }

  async deleteInstance(instanceId: string): Promise<DeletionRecord> {
    const hash = hashInstanceId(instanceId)
    const uid = uuidBytes(instanceId.toLowerCase())
    const tx = this.transaction(() => {
      const requestedAt = new Date().toISOString()
      // The tombstone first: from here on, no event of the instance is stored again.
      this.db
        .prepare('INSERT INTO tombstones (instance_hash, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING')
        .run(hash, requestedAt)
      const instance = this.db.prepare('SELECT id FROM instances WHERE uid = ?').get(uid) as undefined | {id: number}
      let deleted = 0
      if (instance) {
        this.keepLastEventId()
        deleted = this.db.prepare('DELETE FROM events WHERE instance = ?').run(instance.id).changes
        this.db.prepare('DELETE FROM instances WHERE id = ?').run(instance.id)
        this.db.prepare('INSERT INTO changes (at, instance) VALUES (?, ?)').run(requestedAt, instance.id)
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
    // As ingest: a deletion held up by another process answers 503 soon, and the client retries.
    const record = await this.write(() => tx.immediate())
    if (record.events_deleted > 0) await this.checkpoint()
    return record
  }

  async factsAfter(afterId: number, limit: number): Promise<StoredFact[]> {
    const rows = this.statement(SELECT_ENGINE_ROWS).all(afterId, limit) as EngineRow[]
    const parse = sharedParser()
    return this.withStrings(() => rows.map((row) => storedFactFromRow(row, this.strings.dict, parse)))
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
    return this.withStrings(() => decodeMessage(encodedFromRow(eventRow(row), this.strings.dict)))
  }

  /**
   * Group commit: the batches of requests that arrive together (or while a commit holds the write
   * lock) are stored in one transaction, so one fsync makes them all durable; each call returns its
   * own counts once its events are committed.
   */
  async insert(messages: readonly PreparedMessage[]): Promise<InsertResult> {
    if (messages.length === 0) return {accepted: 0, duplicates: 0, suppressed: 0}
    const events: Incoming[] = messages.map((m) => ({encoded: encodeMessage(m.message, m.messageId)}))
    return new Promise<InsertResult>((resolve, reject) => {
      this.queued.push({events, reject, resolve})
      this.commitSoon()
    })
  }

  async lastEventId(): Promise<number> {
    // Committed rows only: a group commit in progress runs on this thread, between two calls.
    return (this.statement('SELECT COALESCE(MAX(id), 0) AS id FROM events').get() as {id: number}).id
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get()
  }

  async purge(cutoff: Date, options: PurgeOptions = {}): Promise<PurgeResult> {
    if (Number.isNaN(cutoff.getTime())) throw new Error('purge: invalid cutoff date')
    const before = Math.floor(cutoff.getTime() / 1000)
    const tx = this.transaction(() => {
      this.keepLastEventId()
      const events = this.db.prepare('DELETE FROM events WHERE received < ?').run(before).changes
      if (events > 0) {
        this.db.prepare('INSERT INTO changes (at, purged_before) VALUES (?, ?)').run(new Date().toISOString(), before)
      }

      let deletions = 0
      if (options.deletions) {
        const iso = cutoff.toISOString()
        deletions = this.db.prepare('DELETE FROM deletions WHERE requested_at < ?').run(iso).changes
        this.db.prepare('DELETE FROM tombstones WHERE created_at < ?').run(iso)
      }

      return {deletions, events}
    })
    const result = await this.write(() => tx.immediate(), SQLITE_ADMIN_GIVE_UP_MS)
    if (result.events > 0) await this.checkpoint()
    return result
  }

  async sizeBytes(): Promise<number> {
    let bytes = 0
    for (const file of [this.path, `${this.path}-wal`]) {
      try {
        bytes += statSync(file).size
      } catch {
        // No WAL right now.
      }
    }

    return bytes
  }

  /** Move the WAL's content into the file and truncate it, so no old page version stays readable. */
  private async checkpoint(): Promise<void> {
    for (let attempt = 0; attempt < 50; attempt++) {
      if (!this.db.open) return
      const [status] = this.db.pragma('wal_checkpoint(TRUNCATE)') as {busy: number}[]
      if (status.busy === 0) return
      // A reader (the analytics thread, a backup) holds an old snapshot: try again shortly.
      // eslint-disable-next-line no-await-in-loop -- retries are sequential
      await new Promise((resolve) => {
        setTimeout(resolve, 20)
      })
    }

    // Still held after a second (a long read): the deleted pages must not stay in the WAL, so it is
    // tried again in the background until it completes, without holding up the request.
    setTimeout(() => {
      this.checkpoint().catch(() => {})
    }, 1000).unref()
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

  /** Before rows go: the newest id ever used is kept, so ids are never used twice (engines go by them). */
  private keepLastEventId(): void {
    this.statement('UPDATE last_event_id SET last = MAX(last, COALESCE((SELECT MAX(id) FROM events), 0))').run()
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
    // Event ids only grow, even after the newest events were deleted: an engine's watermark must
    // never hide a new event.
    const lastId = this.db.prepare(
      'SELECT MAX(COALESCE((SELECT MAX(id) FROM events), 0), (SELECT last FROM last_event_id)) AS id',
    )
    const insertBatch = (events: Incoming[]): InsertResult => {
      this.strings.add(dictValuesOf(events))
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
          ...dataValues(event, this.strings.dict),
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
      if ((row.v ?? 0) > MIGRATIONS.length) {
        throw new Error(
          `the store was written by a newer collector (schema ${row.v}; this one knows ${MIGRATIONS.length}): upgrade the collector`,
        )
      }

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

  /** A prepared statement, prepared once. */
  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql)
    if (!statement) this.statements.set(sql, (statement = this.db.prepare(sql)))
    return statement
  }

  /** A write transaction that first loads the strings another process may have added. */
  private transaction<A extends unknown[], T>(work: (...args: A) => T): Database.Transaction<(...args: A) => T> {
    return this.db.transaction((...args: A) => {
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

  /** Run a write transaction; busy waits are async. Strings it added leave the cache if it fails. */
  private async write<T>(work: () => T, giveUpMs = SQLITE_BUSY_GIVE_UP_MS): Promise<T> {
    return retryBusy(() => this.strings.undoOnFailure(work), giveUpMs)
  }
}
