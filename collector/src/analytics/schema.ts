/**
 * The analytics engine's tables (DuckDB): a derived copy of the store of record's events, in
 * columns, rebuilt from it at will. One row per event, one per flag given, one per custom property.
 * `instance` is the store's own number for an instance (never its id); `duration` is the DDSketch
 * bucket of duration_ms (1% relative accuracy, see histogram.ts), so percentiles read small integers.
 */
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
  CREATE TABLE IF NOT EXISTS properties (
    id BIGINT NOT NULL,
    instance INTEGER NOT NULL,
    name VARCHAR NOT NULL,
    value VARCHAR NOT NULL
  );`

/** Every table that holds event data (what deletions, purges and compaction go through). */
export const DATA_TABLES = ['events', 'flags', 'properties'] as const
