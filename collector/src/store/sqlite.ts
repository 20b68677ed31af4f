import Database from 'better-sqlite3'
import {randomUUID} from 'node:crypto'

import {prepareStoreFile} from './file-mode.js'
import {hashInstanceId, type PreparedMessage} from './message.js'
import {BUSY_TIMEOUT_MS, retryWhileBusy} from './retry.js'
import {
  type DeletionRecord,
  DIMENSION_SQL,
  type InsertResult,
  type ReportQuery,
  type ReportRow,
  type Store,
} from './store.js'

const MIGRATIONS: string[] = [
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
   CREATE INDEX IF NOT EXISTS events_instance ON events (instance_id);
   CREATE INDEX IF NOT EXISTS events_product_day ON events (product, day);
   CREATE INDEX IF NOT EXISTS events_day ON events (day);
   CREATE INDEX IF NOT EXISTS events_received_at ON events (received_at);
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
]

export interface SqliteStoreOptions {
  /**
   * `full` (default): every commit is fsynced, so an answered request survives power loss.
   * `normal`: in WAL mode commits survive a crash of the process (SIGKILL) but the last
   * transactions may be lost on power loss.
   */
  synchronous?: 'full' | 'normal'
}

/** SQLite store (better-sqlite3, WAL). One process owns the file; it is not for scale-out. */
export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const
  private readonly db: Database.Database
  private readonly deleteTx: Database.Transaction<(instanceId: string) => DeletionRecord>
  private readonly insertEvent: Database.Statement
  private readonly insertMany: Database.Transaction<(messages: readonly PreparedMessage[]) => InsertResult>
  private readonly isTombstoned: Database.Statement<[string], {one: number}>

  constructor(path: string, options: SqliteStoreOptions = {}) {
    if (path !== ':memory:' && path !== '') prepareStoreFile(path)
    this.db = new Database(path)
    this.db.pragma('journal_mode = WAL')
    this.db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`)
    // Deleted rows are overwritten with zeros, in the database and in the WAL frames written.
    this.db.pragma('secure_delete = ON')
    // Opening may wait for another process (a blocking wait is fine before serving)...
    this.db.pragma('busy_timeout = 5000')
    this.db.pragma('foreign_keys = ON')
    this.migrate()
    // ...requests may not: writes retry asynchronously (retryWhileBusy).
    this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`)
    this.insertEvent = this.db.prepare(
      `INSERT INTO events (message_id, instance_id, product, product_version, event, command, os, day, timestamp, received_at, message)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (message_id) DO NOTHING`,
    )
    this.isTombstoned = this.db.prepare('SELECT 1 AS one FROM tombstones WHERE instance_hash = ?')
    this.insertMany = this.db.transaction((messages: readonly PreparedMessage[]) => {
      const receivedAt = new Date().toISOString()
      const tombstoned = new Map<string, boolean>()
      const result: InsertResult = {accepted: 0, duplicates: 0, suppressed: 0}
      for (const m of messages) {
        let dead = tombstoned.get(m.instanceId)
        if (dead === undefined) {
          dead = this.isTombstoned.get(hashInstanceId(m.instanceId)) !== undefined
          tombstoned.set(m.instanceId, dead)
        }

        if (dead) {
          result.suppressed++
          continue
        }

        const info = this.insertEvent.run(
          m.messageId,
          m.instanceId,
          m.product,
          m.productVersion,
          m.event,
          m.command,
          m.os,
          m.day,
          m.timestamp,
          receivedAt,
          m.json,
        )
        if (info.changes === 1) result.accepted++
        else result.duplicates++
      }

      return result
    })
    const insertTombstone = this.db.prepare(
      'INSERT INTO tombstones (instance_hash, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING',
    )
    const deleteEvents = this.db.prepare('DELETE FROM events WHERE instance_id = ?')
    const insertDeletion = this.db.prepare(
      'INSERT INTO deletions (deletion_id, instance_hash, requested_at, completed_at, events_deleted) VALUES (?, ?, ?, ?, ?)',
    )
    this.deleteTx = this.db.transaction((instanceId: string) => {
      const requestedAt = new Date().toISOString()
      const hash = hashInstanceId(instanceId)
      insertTombstone.run(hash, requestedAt)
      const deleted = deleteEvents.run(instanceId.toLowerCase()).changes
      const record: DeletionRecord = {
        completed_at: new Date().toISOString(),
        deletion_id: randomUUID(),
        events_deleted: deleted,
        requested_at: requestedAt,
      }
      insertDeletion.run(record.deletion_id, hash, record.requested_at, record.completed_at, record.events_deleted)
      return record
    })
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close()
  }

  async countEvents(): Promise<number> {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM events').get() as {n: number}).n
  }

  async deleteInstance(instanceId: string): Promise<DeletionRecord> {
    const record = await retryWhileBusy(() => this.deleteTx.immediate(instanceId))
    if (record.events_deleted > 0) this.eraseOldCopies()
    return record
  }

  async getDeletion(deletionId: string): Promise<DeletionRecord | undefined> {
    return this.db
      .prepare('SELECT deletion_id, requested_at, completed_at, events_deleted FROM deletions WHERE deletion_id = ?')
      .get(deletionId.toLowerCase()) as DeletionRecord | undefined
  }

  async getMessage(messageId: string): Promise<unknown> {
    const row = this.db.prepare('SELECT message FROM events WHERE message_id = ?').get(messageId.toLowerCase()) as
      undefined | {message: string}
    return row === undefined ? undefined : JSON.parse(row.message)
  }

  async insert(messages: readonly PreparedMessage[]): Promise<InsertResult> {
    if (messages.length === 0) return {accepted: 0, duplicates: 0, suppressed: 0}
    return retryWhileBusy(() => this.insertMany.immediate(messages))
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get()
  }

  async purge(cutoff: Date): Promise<number> {
    const purge = this.db.prepare('DELETE FROM events WHERE received_at < ?')
    const removed = await retryWhileBusy(() => purge.run(cutoff.toISOString()).changes)
    if (removed > 0) this.eraseOldCopies()
    return removed
  }

  async report(query: ReportQuery): Promise<ReportRow[]> {
    const where: string[] = []
    const params: Record<string, number | string> = {limit: query.limit}
    if (query.product !== undefined) {
      where.push('product = @product')
      params.product = query.product
    }

    if (query.event !== undefined) {
      where.push('event = @event')
      params.event = query.event
    }

    if (query.from !== undefined) {
      where.push('day >= @from')
      params.from = query.from
    }

    if (query.to !== undefined) {
      where.push('day <= @to')
      params.to = query.to
    }

    const key = DIMENSION_SQL[query.by]
    const sql = `SELECT ${key} AS key, COUNT(*) AS events, COUNT(DISTINCT instance_id) AS instances
      FROM events ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      GROUP BY (${key}) ORDER BY events DESC, (${key}) IS NULL, (${key}) ASC LIMIT @limit`
    return this.db.prepare(sql).all(params) as ReportRow[]
  }

  /**
   * The WAL still holds earlier page images with the deleted rows: copy the (zeroed) pages back
   * and truncate the WAL, so no file keeps a readable copy.
   */
  private eraseOldCopies(): void {
    this.db.pragma('wal_checkpoint(TRUNCATE)')
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
}
