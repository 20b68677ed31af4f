import type {Store} from './store.js'

import {PostgresStore} from './postgres.js'
import {SqliteStore, type SqliteStoreOptions} from './sqlite.js'

export interface OpenStoreOptions {
  /** PostgreSQL pool size. */
  poolSize?: number
  sqlite?: SqliteStoreOptions
}

/** `postgres://` or `postgresql://` URL: PostgreSQL; anything else: a SQLite file path. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location)
}

/** Open (and migrate) the store at `location`: a SQLite file path or a PostgreSQL URL. */
export async function openStore(location: string, options: OpenStoreOptions = {}): Promise<Store> {
  if (isPostgresUrl(location)) return PostgresStore.open(location, {max: options.poolSize})
  return new SqliteStore(location, options.sqlite)
}
