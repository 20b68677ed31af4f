import type {Store} from './store.js'

import {PostgresStore} from './postgres.js'
import {SqliteStore, type SqliteStoreOptions} from './sqlite.js'

export interface OpenStoreOptions {
  /** PostgreSQL pool size. */
  poolSize?: number
  /** Values a custom property keeps per day (see rollup/cap.ts). */
  propertyCap?: number
  sqlite?: SqliteStoreOptions
}

/** `postgres://` or `postgresql://` URL: PostgreSQL; anything else: a SQLite file path. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location)
}

/** Open (and migrate) the store at `location`: a SQLite file path or a PostgreSQL URL. */
export async function openStore(location: string, options: OpenStoreOptions = {}): Promise<Store> {
  const {propertyCap} = options
  if (isPostgresUrl(location)) return PostgresStore.open(location, {max: options.poolSize, propertyCap})
  return new SqliteStore(location, {...options.sqlite, propertyCap})
}
