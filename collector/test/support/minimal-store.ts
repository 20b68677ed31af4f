/**
 * The reference of the ingest budget: a minimal store, one table with message_id unique and the
 * message as JSON, with the collector's fsync policy (SQLite WAL with synchronous=FULL; PostgreSQL with
 * the same server), inserting each batch in one transaction.
 */
import Database from 'better-sqlite3'
import pg from 'pg'

import type {TelemetryMessage} from '../../src/store/message.js'

export interface MinimalStore {
  close(): Promise<void>
  insert(messages: TelemetryMessage[]): Promise<number>
}

export function minimalSqlite(path: string): MinimalStore {
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.exec('CREATE TABLE IF NOT EXISTS events (message_id TEXT PRIMARY KEY, message TEXT NOT NULL)')
  const insert = db.prepare('INSERT INTO events (message_id, message) VALUES (?, ?) ON CONFLICT DO NOTHING')
  const many = db.transaction((messages: TelemetryMessage[]) => {
    let stored = 0
    for (const m of messages) stored += insert.run(m.message_id, JSON.stringify(m)).changes
    return stored
  })
  return {
    async close() {
      db.close()
    },
    async insert(messages) {
      return many.immediate(messages)
    },
  }
}

export async function minimalPostgres(url: string): Promise<MinimalStore> {
  const pool = new pg.Pool({connectionString: url, max: 6})
  await pool.query('CREATE TABLE IF NOT EXISTS events (message_id UUID PRIMARY KEY, message JSONB NOT NULL)')
  return {
    async close() {
      await pool.end()
    },
    async insert(messages) {
      const result = await pool.query(
        'INSERT INTO events (message_id, message) SELECT * FROM unnest($1::uuid[], $2::jsonb[]) ON CONFLICT DO NOTHING',
        [messages.map((m) => m.message_id), messages.map((m) => JSON.stringify(m))],
      )
      return result.rowCount ?? 0
    },
  }
}
