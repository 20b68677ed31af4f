/** Where the analytics engine's file goes by default. */
import {isPostgresUrl} from '../store/open.js'

/**
 * Beside a SQLite store (`telemetry.db` -> `telemetry.db.analytics.duckdb`); for PostgreSQL, in the
 * working directory: every collector keeps its own engine file, fed from the shared database.
 */
export function analyticsPathFor(store: string): string {
  return isPostgresUrl(store) ? 'telemetry-analytics.duckdb' : `${store}.analytics.duckdb`
}
