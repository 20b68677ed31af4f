import {randomUUID} from 'node:crypto'
import pg from 'pg'

import {hashInstanceId, type PreparedMessage} from './message.js'
import {
  type DeletionRecord,
  DIMENSION_SQL,
  type InsertResult,
  type ReportQuery,
  type ReportRow,
  type Store,
} from './store.js'

/** Advisory lock key serialising migrations between processes opening the same database. */
const MIGRATION_LOCK = 7_316_048_522_001

const MIGRATIONS: string[] = [
  `CREATE TABLE IF NOT EXISTS events (
     message_id TEXT PRIMARY KEY,
     instance_id TEXT NOT NULL,
     product TEXT NOT NULL,
     product_version TEXT,
     event TEXT NOT NULL,
     command TEXT,
     os TEXT,
     day DATE NOT NULL,
     timestamp TIMESTAMPTZ NOT NULL,
     received_at TIMESTAMPTZ NOT NULL,
     message JSONB NOT NULL
   );
   CREATE INDEX IF NOT EXISTS events_instance ON events (instance_id);
   CREATE INDEX IF NOT EXISTS events_product_day ON events (product, day);
   CREATE INDEX IF NOT EXISTS events_day ON events (day);
   CREATE INDEX IF NOT EXISTS events_received_at ON events (received_at);
   CREATE TABLE IF NOT EXISTS tombstones (
     instance_hash TEXT PRIMARY KEY,
     created_at TIMESTAMPTZ NOT NULL
   );
   CREATE TABLE IF NOT EXISTS deletions (
     deletion_id TEXT PRIMARY KEY,
     instance_hash TEXT NOT NULL,
     requested_at TIMESTAMPTZ NOT NULL,
     completed_at TIMESTAMPTZ,
     events_deleted INTEGER NOT NULL DEFAULT 0
   );`,
]

const ignore = () => {}

/** 64-bit advisory lock key of an instance (first 8 bytes of its hash). */
function lockKey(instanceHash: string): string {
  return BigInt.asIntN(64, BigInt(`0x${instanceHash.slice(0, 16)}`)).toString()
}

function iso(value: Date | null | string): null | string {
  if (value === null) return null
  return value instanceof Date ? value.toISOString() : new Date(value).toISOString()
}

export interface PostgresStoreOptions {
  /** Pool size (default 10). */
  max?: number
}

/**
 * PostgreSQL store (pg Pool). Several collector processes may share one database: message_id
 * is unique, inserts use ON CONFLICT DO NOTHING, and deletions take a per-instance advisory lock
 * that ingest takes in shared mode, so no event of a deleted instance slips in concurrently.
 */
export class PostgresStore implements Store {
  readonly kind = 'postgres' as const
  private readonly pool: pg.Pool

  private constructor(pool: pg.Pool) {
    this.pool = pool
  }

  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const pool = new pg.Pool({connectionString: url, max: options.max ?? 10})
    // An idle client losing its connection must not crash the process; the pool replaces it.
    pool.on('error', () => {})
    const store = new PostgresStore(pool)
    try {
      await store.migrate()
    } catch (error) {
      await pool.end()
      throw error
    }

    return store
  }

  async close(): Promise<void> {
    await this.pool.end()
  }

  async countEvents(): Promise<number> {
    const {rows} = await this.pool.query<{n: number}>('SELECT COUNT(*)::int AS n FROM events')
    return rows[0].n
  }

  async deleteInstance(instanceId: string): Promise<DeletionRecord> {
    const hash = hashInstanceId(instanceId)
    const deletionId = randomUUID()
    return this.transaction(async (client) => {
      const {rows} = await client.query<{now: Date}>('SELECT clock_timestamp() AS now')
      const requestedAt = rows[0].now
      await client.query('SELECT pg_advisory_xact_lock($1)', [lockKey(hash)])
      await client.query('INSERT INTO tombstones (instance_hash, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
        hash,
        requestedAt,
      ])
      const deleted = await client.query('DELETE FROM events WHERE instance_id = $1', [instanceId.toLowerCase()])
      const {rows: record} = await client.query<{completed_at: Date; requested_at: Date}>(
        `INSERT INTO deletions (deletion_id, instance_hash, requested_at, completed_at, events_deleted)
         VALUES ($1, $2, $3, clock_timestamp(), $4) RETURNING requested_at, completed_at`,
        [deletionId, hash, requestedAt, deleted.rowCount ?? 0],
      )
      return {
        completed_at: iso(record[0].completed_at),
        deletion_id: deletionId,
        events_deleted: deleted.rowCount ?? 0,
        requested_at: iso(record[0].requested_at)!,
      }
    })
  }

  async getDeletion(deletionId: string): Promise<DeletionRecord | undefined> {
    const {rows} = await this.pool.query<{
      completed_at: Date | null
      deletion_id: string
      events_deleted: number
      requested_at: Date
    }>('SELECT deletion_id, requested_at, completed_at, events_deleted FROM deletions WHERE deletion_id = $1', [
      deletionId.toLowerCase(),
    ])
    if (rows.length === 0) return undefined
    const r = rows[0]
    return {
      completed_at: iso(r.completed_at),
      deletion_id: r.deletion_id,
      events_deleted: r.events_deleted,
      requested_at: iso(r.requested_at)!,
    }
  }

  async getMessage(messageId: string): Promise<unknown> {
    const {rows} = await this.pool.query<{message: string}>(
      'SELECT message::text AS message FROM events WHERE message_id = $1',
      [messageId.toLowerCase()],
    )
    return rows.length === 0 ? undefined : JSON.parse(rows[0].message)
  }

  async insert(messages: readonly PreparedMessage[]): Promise<InsertResult> {
    if (messages.length === 0) return {accepted: 0, duplicates: 0, suppressed: 0}
    const hashes = new Map<string, string>()
    for (const m of messages) if (!hashes.has(m.instanceId)) hashes.set(m.instanceId, hashInstanceId(m.instanceId))
    const keys = [...new Set([...hashes.values()].map((h) => lockKey(h)))].sort()
    return this.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock_shared(k) FROM unnest($1::bigint[]) AS k', [keys])
      const {rows: dead} = await client.query<{instance_hash: string}>(
        'SELECT instance_hash FROM tombstones WHERE instance_hash = ANY($1::text[])',
        [[...hashes.values()]],
      )
      const deadHashes = new Set(dead.map((r) => r.instance_hash))
      // Sorted by message_id: concurrent batches sharing messages lock their rows in the same order.
      const live = (
        deadHashes.size === 0 ? [...messages] : messages.filter((m) => !deadHashes.has(hashes.get(m.instanceId)!))
      ).sort((a, b) => (a.messageId < b.messageId ? -1 : a.messageId > b.messageId ? 1 : 0))
      const suppressed = messages.length - live.length
      if (live.length === 0) return {accepted: 0, duplicates: 0, suppressed}
      const columns: (null | string)[][] = [[], [], [], [], [], [], [], [], [], []]
      for (const m of live) {
        columns[0].push(m.messageId)
        columns[1].push(m.instanceId)
        columns[2].push(m.product)
        columns[3].push(m.productVersion)
        columns[4].push(m.event)
        columns[5].push(m.command)
        columns[6].push(m.os)
        columns[7].push(m.day)
        columns[8].push(m.timestamp)
        columns[9].push(m.json)
      }

      const result = await client.query(
        `INSERT INTO events (message_id, instance_id, product, product_version, event, command, os, day, timestamp, received_at, message)
         SELECT m, i, p, v, e, c, o, d::date, t::timestamptz, now(), j::jsonb
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
           AS x(m, i, p, v, e, c, o, d, t, j)
         ON CONFLICT (message_id) DO NOTHING`,
        columns,
      )
      const accepted = result.rowCount ?? 0
      return {accepted, duplicates: live.length - accepted, suppressed}
    })
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1')
  }

  async purge(cutoff: Date): Promise<number> {
    const result = await this.pool.query('DELETE FROM events WHERE received_at < $1', [cutoff])
    return result.rowCount ?? 0
  }

  async report(query: ReportQuery): Promise<ReportRow[]> {
    const where: string[] = []
    const params: (number | string)[] = []
    const add = (sql: string, value: string) => {
      params.push(value)
      where.push(sql.replace('?', `$${params.length}`))
    }

    if (query.product !== undefined) add('product = ?', query.product)
    if (query.event !== undefined) add('event = ?', query.event)
    if (query.from !== undefined) add('day >= ?::date', query.from)
    if (query.to !== undefined) add('day <= ?::date', query.to)
    params.push(query.limit)
    const key = DIMENSION_SQL[query.by]
    const sql = `SELECT (${key})::text AS key, COUNT(*)::int AS events, COUNT(DISTINCT instance_id)::int AS instances
      FROM events ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      GROUP BY (${key}) ORDER BY events DESC, (${key}) IS NULL, (${key}) ASC LIMIT $${params.length}`
    const {rows} = await this.pool.query<ReportRow>(sql, params)
    return rows
  }

  private async migrate(): Promise<void> {
    await this.transaction(async (client) => {
      // Two processes opening a fresh database at once: the second waits here for the first.
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK])
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())',
      )
      const {rows} = await client.query<{v: null | number}>('SELECT MAX(version) AS v FROM schema_migrations')
      for (let version = (rows[0].v ?? 0) + 1; version <= MIGRATIONS.length; version++) {
        /* eslint-disable no-await-in-loop -- migrations run in order */
        await client.query(MIGRATIONS[version - 1])
        await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [version])
        /* eslint-enable no-await-in-loop */
      }
    })
  }

  /** Run `fn` in a transaction, retried a few times on deadlock or serialization failure. */
  private async transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        // eslint-disable-next-line no-await-in-loop -- retries are sequential
        return await this.transactionOnce(fn)
      } catch (error) {
        const {code} = error as {code?: string}
        if (attempt >= 3 || (code !== '40P01' && code !== '40001')) throw error
      }
    }
  }

  private async transactionOnce<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect()
    // A connection lost while checked out emits 'error' on the client: without a listener the
    // process would crash. The failing query rejects anyway; the broken client is discarded below.
    client.on('error', ignore)
    let broken: Error | undefined
    try {
      await client.query('BEGIN')
      const result = await fn(client)
      await client.query('COMMIT')
      return result
    } catch (error) {
      broken = error as Error
      await client.query('ROLLBACK').catch(() => {})
      throw error
    } finally {
      client.removeListener('error', ignore)
      // Release with the error when the connection itself failed, so the pool does not reuse it.
      const code = (broken as undefined | {code?: string})?.code
      client.release(
        broken !== undefined && (code === undefined || code.startsWith('08') || code.startsWith('57'))
          ? broken
          : undefined,
      )
    }
  }
}
