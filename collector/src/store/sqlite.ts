import Database from 'better-sqlite3'
import {randomUUID} from 'node:crypto'
import {chmodSync, closeSync, existsSync, mkdirSync, openSync} from 'node:fs'
import {dirname} from 'node:path'

import {retryBusy, SQLITE_BUSY_TIMEOUT_MS} from './busy.js'
import {decodeMessage, type EncodedEvent, encodeMessage, uuidBytes, uuidText} from './codec.js'
import {Dictionary, MissingString} from './dictionary.js'
import {hashInstanceId, type PreparedMessage, prepareMessage, type TelemetryMessage} from './message.js'
import {activeFromFacts, reportFromFacts, sessionsFromFacts} from './report/aggregate.js'
import {type Fact, matches} from './report/facts.js'
import {factFromRow, rowFilter} from './report/raw.js'
import {DATA_COLUMNS, dataValues, encodedFromRow, type EventRow} from './rows.js'
import {
  type ActiveQuery,
  type ActiveRow,
  type DeletionRecord,
  type InsertResult,
  type PurgeOptions,
  type PurgeResult,
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
]

const EVENT_COLUMNS = ['message_id', 'instance', 'ts', 'received', 'session', ...DATA_COLUMNS]
const SELECT_ROW = `SELECT e.message_id, e.instance, i.uid AS instance_id, e.ts, e.session, ${DATA_COLUMNS.map((c) => `e.${c}`).join(', ')}
  FROM events e JOIN instances i ON i.id = e.instance`

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
  /** Open an existing file for reading only (reports while a server owns the file). */
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
  mkdirSync(dirname(path), {recursive: true})
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
 * go through it); other processes may read it (`report --store`).
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const
  private readonly db: Database.Database
  private readonly dict = new Dictionary()
  private readonly insertTx: Database.Transaction<(events: EncodedEvent[]) => InsertResult>

  constructor(path: string, options: SqliteStoreOptions = {}) {
    if (path === ':memory:' || path === '') throw new Error('the SQLite store needs a file path')
    if (options.readonly) {
      this.db = new Database(path, {fileMustExist: true, readonly: true})
    } else {
      privateFile(path)
      this.db = new Database(path)
      this.db.pragma('journal_mode = WAL')
      this.db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`)
      // Deleted rows are overwritten with zeros in the file, not just unlinked from the b-tree.
      this.db.pragma('secure_delete = ON')
    }

    this.db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`)
    if (!options.readonly) {
      this.migrate()
      this.convertLegacyEvents()
    }

    this.loadStrings()
    this.insertTx = this.makeInsert()
  }

  async active(query: ActiveQuery): Promise<ActiveRow[]> {
    return activeFromFacts(this.facts(query), query)
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
    const tx = this.db.transaction(() => {
      const requestedAt = new Date().toISOString()
      this.db
        .prepare('INSERT INTO tombstones (instance_hash, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING')
        .run(hash, requestedAt)
      const instance = this.db.prepare('SELECT id FROM instances WHERE uid = ?').get(uid) as undefined | {id: number}
      let deleted = 0
      if (instance) {
        deleted = this.db.prepare('DELETE FROM events WHERE instance = ?').run(instance.id).changes
        this.db.prepare('DELETE FROM instances WHERE id = ?').run(instance.id)
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
    const record = await retryBusy(() => tx.immediate())
    if (record.events_deleted > 0) await this.checkpoint()
    return record
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

  async insert(messages: readonly PreparedMessage[]): Promise<InsertResult> {
    if (messages.length === 0) return {accepted: 0, duplicates: 0, suppressed: 0}
    const events = messages.map((m) => encodeMessage(m.message, m.messageId))
    await retryBusy(() => this.addStrings(events))
    return retryBusy(() => this.insertTx.immediate(events))
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get()
  }

  async purge(cutoff: Date, options: PurgeOptions = {}): Promise<PurgeResult> {
    if (Number.isNaN(cutoff.getTime())) throw new Error('purge: invalid cutoff date')
    const tx = this.db.transaction(() => {
      const events = this.db
        .prepare('DELETE FROM events WHERE received < ?')
        .run(Math.floor(cutoff.getTime() / 1000)).changes
      let deletions = 0
      if (options.deletions) {
        const iso = cutoff.toISOString()
        deletions = this.db.prepare('DELETE FROM deletions WHERE requested_at < ?').run(iso).changes
        this.db.prepare('DELETE FROM tombstones WHERE created_at < ?').run(iso)
      }

      return {deletions, events, rollups: 0}
    })
    const result = await retryBusy(() => tx.immediate())
    if (result.events > 0) await this.checkpoint()
    return result
  }

  async rebuild(): Promise<RebuildResult> {
    return {events: await this.countEvents()}
  }

  async report(query: ReportQuery): Promise<ReportRow[]> {
    return reportFromFacts(this.facts(query), query)
  }

  async sessions(query: SessionsQuery): Promise<SessionsReport> {
    return sessionsFromFacts(this.facts({...query, event: 'command'}), query)
  }

  /** Strings new to the dictionary are added in their own short transaction. */
  private addStrings(events: EncodedEvent[]): void {
    const missing = this.dict.missing(events.flatMap((e) => Object.values(e.dict)))
    if (missing.length === 0) return
    const insert = this.db.prepare('INSERT INTO strings (value) VALUES (?) ON CONFLICT DO NOTHING')
    const select = this.db.prepare('SELECT id FROM strings WHERE value = ?')
    const found: [number, string][] = []
    this.db
      .transaction(() => {
        for (const value of missing) {
          insert.run(value)
          found.push([(select.get(value) as {id: number}).id, value])
        }
      })
      .immediate()
    // Only once committed: a rolled-back id must never be cached.
    for (const [id, value] of found) this.dict.set(id, value)
  }

  /** Move the WAL's content into the file and truncate it, so no old page version stays readable. */
  private async checkpoint(): Promise<void> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const [status] = this.db.pragma('wal_checkpoint(TRUNCATE)') as {busy: number}[]
      if (status.busy === 0) return
      // A reader (report in another process) holds an old snapshot: try again shortly.
      // eslint-disable-next-line no-await-in-loop -- retries are sequential
      await new Promise((resolve) => {
        setTimeout(resolve, 20)
      })
    }
  }

  /** Convert events stored by schema 1 (whole JSON) into the compact form, then drop them. */
  private convertLegacyEvents(): void {
    const legacy = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events_v1'").get()
    if (!legacy) return
    const insert = this.makeInsert()
    const read = this.db.prepare('SELECT message, received_at FROM events_v1')
    const batch: EncodedEvent[] = []
    const flush = () => {
      this.addStrings(batch)
      insert.immediate(batch)
      batch.length = 0
    }

    for (const row of read.iterate() as Iterable<{message: string; received_at: string}>) {
      const prepared = prepareMessage(JSON.parse(row.message) as TelemetryMessage)
      batch.push(encodeMessage(prepared.message, prepared.messageId))
      if (batch.length >= 1000) flush()
    }

    if (batch.length > 0) flush()
    this.db.exec('DROP TABLE events_v1')
  }

  /** Rows of the filter (pre-filtered in SQL, then exactly by `matches`), as report facts. */
  private facts(filter: ReportFilter): Fact[] {
    const rf = rowFilter(filter, this.dict)
    if (rf === undefined) return []
    const where: string[] = []
    const params: number[] = []
    for (const [column, id] of rf.equal) {
      where.push(`e.${column} = ?`)
      params.push(id)
    }

    if (rf.fromTs !== undefined) {
      where.push('e.ts >= ?')
      params.push(rf.fromTs)
    }

    if (rf.toTs !== undefined) {
      where.push('e.ts < ?')
      params.push(rf.toTs)
    }

    const sql = `${SELECT_ROW} ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}`
    const rows = this.db.prepare(sql).all(...params) as SqliteRow[]
    return this.withStrings(() => {
      const facts: Fact[] = []
      for (const row of rows) {
        const fact = factFromRow(eventRow(row), this.dict)
        if (matches(fact, filter)) facts.push(fact)
      }

      return facts
    })
  }

  private loadStrings(after = 0): void {
    const rows = this.db.prepare('SELECT id, value FROM strings WHERE id > ?').all(after) as {
      id: number
      value: string
    }[]
    for (const {id, value} of rows) this.dict.set(id, value)
  }

  private makeInsert(): Database.Transaction<(events: EncodedEvent[]) => InsertResult> {
    const isTombstoned = this.db.prepare('SELECT 1 AS one FROM tombstones WHERE instance_hash = ?')
    const findInstance = this.db.prepare('SELECT id FROM instances WHERE uid = ?')
    const addInstance = this.db.prepare('INSERT INTO instances (uid) VALUES (?)')
    const insertEvent = this.db.prepare(
      `INSERT INTO events (${EVENT_COLUMNS.join(', ')}) VALUES (${EVENT_COLUMNS.map(() => '?').join(', ')})
       ON CONFLICT (message_id) DO NOTHING`,
    )
    return this.db.transaction((events: EncodedEvent[]) => {
      const received = Math.floor(Date.now() / 1000)
      const instances = new Map<string, null | number>()
      const result: InsertResult = {accepted: 0, duplicates: 0, suppressed: 0}
      for (const event of events) {
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
    })
  }

  private migrate(): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)')
    const run = this.db.transaction(() => {
      const row = this.db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as {v: null | number}
      for (let version = (row.v ?? 0) + 1; version <= MIGRATIONS.length; version++) {
        this.db.exec(MIGRATIONS[version - 1])
        this.db
          .prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)')
          .run(version, new Date().toISOString())
      }
    })
    run.immediate()
  }

  /** Run `read`, reloading the dictionary once if a row names a string added by another process. */
  private withStrings<T>(read: () => T): T {
    try {
      return read()
    } catch (error) {
      if (!(error instanceof MissingString)) throw error
      this.loadStrings()
      return read()
    }
  }
}
