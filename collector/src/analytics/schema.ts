/**
 * The analytics engine's tables (DuckDB): a derived copy of the store of record's events, in
 * columns, rebuilt from it at will. One row per event, one per flag given, one per custom property.
 * `instance` is the store's own number for an instance (never its id); `duration` is the DDSketch
 * bucket of duration_ms (1% relative accuracy, see histogram.ts), so percentiles read small integers.
 */
import {SCALAR_DIMENSIONS} from './types.js'

export const ANALYTICS_SCHEMA_VERSION = 2

export const ANALYTICS_SCHEMA = `
  CREATE TABLE IF NOT EXISTS state (name VARCHAR PRIMARY KEY, value BIGINT NOT NULL);
  CREATE TABLE IF NOT EXISTS events (
    id BIGINT NOT NULL,
    instance INTEGER NOT NULL,
    ts BIGINT NOT NULL,
    day DATE NOT NULL,
    received BIGINT NOT NULL,
    -- The ids' 16 bytes: they group and sort as the ids' text does.
    session BLOB,
    message_id BLOB NOT NULL,
    product VARCHAR NOT NULL,
    version VARCHAR,
    event VARCHAR NOT NULL,
    command VARCHAR,
    outcome VARCHAR,
    error VARCHAR,
    os VARCHAR,
    arch VARCHAR,
    ci VARCHAR,
    agent VARCHAR,
    node VARCHAR,
    suggestion VARCHAR,
    duration SMALLINT
  );
  CREATE TABLE IF NOT EXISTS flags (id BIGINT NOT NULL, instance INTEGER NOT NULL, flag VARCHAR NOT NULL);
  CREATE TABLE IF NOT EXISTS seen (day INTEGER NOT NULL, dim VARCHAR NOT NULL, value VARCHAR NOT NULL);
  CREATE TABLE IF NOT EXISTS properties (
    id BIGINT NOT NULL,
    instance INTEGER NOT NULL,
    name VARCHAR NOT NULL,
    value VARCHAR NOT NULL
  );`

/** Every table that holds event data (what deletions, purges and compaction go through). */
export const DATA_TABLES = ['events', 'flags', 'properties'] as const

/**
 * The values each day keeps (see bound.ts), read again from the live rows: a compaction writes it
 * so, and values whose every event was deleted leave it with them.
 */
export function seenFromLiveRows(target: string): string {
  const day = "datediff('day', DATE '1970-01-01', e.day)"
  const parts = [...SCALAR_DIMENSIONS, 'version'].map(
    (c) => `SELECT ${day}, '${c}', e.${c} FROM events e WHERE e.${c} IS NOT NULL`,
  )
  parts.push(
    `SELECT ${day}, 'flag', f.flag FROM flags f JOIN events e USING (id)`,
    `SELECT ${day}, 'property names of ' || e.event, p.name FROM properties p JOIN events e USING (id)`,
    `SELECT ${day}, 'property ' || p.name, p.value FROM properties p JOIN events e USING (id)`,
  )
  return `INSERT INTO ${target} SELECT DISTINCT * FROM (${parts.join(' UNION ALL ')})`
}
