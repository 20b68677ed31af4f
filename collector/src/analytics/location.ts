/** Where the analytics engine's file goes by default. */
import {existsSync, rmSync, statSync} from 'node:fs'

import {isPostgresUrl} from '../store/open.js'

/**
 * Beside a SQLite store (`telemetry.db` -> `telemetry.db.analytics.duckdb`); for PostgreSQL, in the
 * working directory: every collector keeps its own engine file, fed from the shared database.
 */
export function analyticsPathFor(store: string): string {
  return isPostgresUrl(store) ? 'telemetry-analytics.duckdb' : `${store}.analytics.duckdb`
}

/** The engine's files: its DuckDB file and that file's write-ahead log. */
export function engineFiles(path: string): string[] {
  return [path, `${path}.wal`]
}

/** Bytes the engine's files take on disk. */
export function engineBytes(path: string): number {
  let bytes = 0
  for (const file of engineFiles(path)) if (existsSync(file)) bytes += statSync(file).size
  return bytes
}

/** Remove the engine's files (a file being replaced, or one a failed start made). */
export function removeEngineFiles(path: string): void {
  for (const file of engineFiles(path)) rmSync(file, {force: true})
}
