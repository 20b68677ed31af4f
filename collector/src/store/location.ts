import {existsSync, statSync} from 'node:fs'

import {isPostgresUrl} from './open.js'

export const DEFAULT_STORE = './telemetry.db'

/**
 * The store to use: `--store`, else COLLECTOR_STORE, else ./telemetry.db. SQLite reads an empty
 * name or `:memory:` as a database in memory, lost at exit: a collector that answers 200 and
 * keeps nothing, so such a setting is refused rather than guessed at.
 */
export function resolveStoreLocation(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const [location, source] =
    flag === undefined
      ? env.COLLECTOR_STORE === undefined
        ? [DEFAULT_STORE, 'default']
        : [env.COLLECTOR_STORE, 'COLLECTOR_STORE']
      : [flag, '--store']
  if (location.trim() === '') {
    throw new Error(
      `${source} is empty: give a SQLite file path or a postgres:// URL (or leave it unset for ${DEFAULT_STORE})`,
    )
  }

  if (location.trim() === ':memory:' || /^file:/i.test(location.trim())) {
    throw new Error(
      `${source} ${JSON.stringify(location)} is not a store file: events would be kept in memory or by URI rules; give a plain file path or a postgres:// URL`,
    )
  }

  return location
}

/**
 * For commands that read or change an existing store (report, purge): a SQLite path that does
 * not exist is a typo, not a new empty store.
 */
export function assertStoreExists(location: string): void {
  if (isPostgresUrl(location)) return
  assertNotDirectory(location)
  if (existsSync(location)) return
  throw new Error(
    `no store at ${JSON.stringify(location)}: check --store or COLLECTOR_STORE (the collector creates it on first serve)`,
  )
}

/** A folder given as the SQLite store: SQLite itself says only "disk I/O error" or "unable to open". */
export function assertNotDirectory(location: string): void {
  if (isPostgresUrl(location) || !existsSync(location) || !statSync(location).isDirectory()) return
  throw new Error(
    `${JSON.stringify(location)} is a directory: give --store the SQLite file (for example telemetry.db in it)`,
  )
}
