/**
 * The hand-written aggregates of schemas 3 to 7 (SQLite), replaced by the analytics engine in 8: kept
 * so that a file of any version migrates step by step (8 drops them).
 */

/** Schema 3's aggregate tables. */
export const SQLITE_ROLLUP_SCHEMA = `
  CREATE TABLE counters (
    period INTEGER NOT NULL, kind INTEGER NOT NULL, cell INTEGER NOT NULL,
    events INTEGER NOT NULL, failures INTEGER NOT NULL, histogram BLOB,
    PRIMARY KEY (period, kind, cell)
  ) WITHOUT ROWID;
  CREATE TABLE profiles (
    period INTEGER NOT NULL, instance INTEGER NOT NULL, cells BLOB NOT NULL,
    PRIMARY KEY (period, instance)
  ) WITHOUT ROWID;
  CREATE INDEX profiles_instance ON profiles (instance);
  CREATE TABLE presence (
    period INTEGER NOT NULL, product INTEGER NOT NULL, instance INTEGER NOT NULL,
    PRIMARY KEY (period, product, instance)
  ) WITHOUT ROWID;
  CREATE INDEX presence_instance ON presence (instance);
  CREATE TABLE active (
    period INTEGER NOT NULL, product INTEGER NOT NULL, instances INTEGER NOT NULL, events INTEGER NOT NULL,
    PRIMARY KEY (period, product)
  ) WITHOUT ROWID;
  CREATE TABLE tallies (
    period INTEGER NOT NULL, kind INTEGER NOT NULL, cell INTEGER NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (period, kind, cell)
  ) WITHOUT ROWID;
  CREATE INDEX events_session ON events (session) WHERE session IS NOT NULL;
  CREATE INDEX counters_cell ON counters (cell);
  CREATE INDEX tallies_cell ON tallies (cell);`

/** 4: aggregate rows per reported dimension. */
export const SQLITE_AGG_SCHEMA = `
  DROP TABLE IF EXISTS counters;
  DROP TABLE IF EXISTS profiles;
  DROP TABLE IF EXISTS presence;
  DROP TABLE IF EXISTS active;
  DROP TABLE IF EXISTS tallies;
  -- A rowid table with a unique index, not WITHOUT ROWID: rows of a few hundred bytes fill b-tree
  -- pages far better so (measured: a quarter smaller).
  CREATE TABLE agg (
    period INTEGER NOT NULL, level INTEGER NOT NULL, dim INTEGER NOT NULL, value INTEGER NOT NULL,
    events INTEGER NOT NULL, failures INTEGER NOT NULL, histogram BLOB, instances BLOB
  );
  CREATE UNIQUE INDEX agg_key ON agg (period, level, dim, value);
  CREATE INDEX agg_value ON agg (value) WHERE level = 0;
  -- Raw events are read by instance, session, id and received time; no report reads them by ts.
  DROP INDEX IF EXISTS events_ts;
  CREATE TABLE tallies (
    period INTEGER NOT NULL, kind INTEGER NOT NULL, cell INTEGER NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (period, kind, cell)
  ) WITHOUT ROWID;
  CREATE INDEX tallies_cell ON tallies (cell);
  CREATE TABLE aggregator (id INTEGER PRIMARY KEY CHECK (id = 1), watermark INTEGER NOT NULL);
  INSERT INTO aggregator (id, watermark) VALUES (1, 0);
  CREATE TABLE instances_v4 (id INTEGER PRIMARY KEY AUTOINCREMENT, uid BLOB NOT NULL UNIQUE);
  INSERT INTO instances_v4 (id, uid) SELECT id, uid FROM instances;
  DROP TABLE instances;
  ALTER TABLE instances_v4 RENAME TO instances;`

/** 5: weeks and months get rows once closed; the aggregates are rebuilt. */
export const SQLITE_CLOSED_PERIODS = `
  DELETE FROM agg;
  DROP TABLE tallies;
  -- Session tallies packed per period and kind.
  CREATE TABLE tally_sets (
    period INTEGER NOT NULL, kind INTEGER NOT NULL, cells BLOB NOT NULL, PRIMARY KEY (period, kind)
  ) WITHOUT ROWID;
  ALTER TABLE aggregator ADD COLUMN closed_through INTEGER;
  UPDATE aggregator SET watermark = 0;`

/**
 * 7: the property cap: the rows of values their day does not keep move to
 * agg_spill, which reports do not read.
 */
export const SQLITE_PROPERTY_CAP = `
  CREATE TABLE agg_spill (
    period INTEGER NOT NULL, level INTEGER NOT NULL, dim INTEGER NOT NULL, value INTEGER NOT NULL,
    events INTEGER NOT NULL, failures INTEGER NOT NULL, histogram BLOB, instances BLOB
  );
  -- Read by day and property, across levels (ranking a day, summing OTHER).
  CREATE UNIQUE INDEX agg_spill_key ON agg_spill (period, dim, level, value);
  CREATE INDEX agg_spill_value ON agg_spill (value) WHERE level = 0;
  -- The cap the stored days are capped at; NULL until they are (capTo).
  ALTER TABLE aggregator ADD COLUMN property_cap INTEGER;`

/**
 * 8: the hand-written aggregates are dropped (the analytics engine replaces them). Event ids never
 * shrink (`last_event_id`, taken over from the aggregator's watermark), and `changes` is the log of
 * deletions and purges that every analytics engine fed from this store applies in order.
 */
export const SQLITE_DROP_ROLLUPS = `
  CREATE TABLE last_event_id (id INTEGER PRIMARY KEY CHECK (id = 1), last INTEGER NOT NULL);
  INSERT INTO last_event_id (id, last)
    SELECT 1, MAX(COALESCE((SELECT MAX(id) FROM events), 0), COALESCE((SELECT watermark FROM aggregator), 0));
  DROP TABLE IF EXISTS agg;
  DROP TABLE IF EXISTS agg_spill;
  DROP TABLE IF EXISTS tally_sets;
  DROP TABLE IF EXISTS aggregator;
  CREATE TABLE changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    -- A deleted instance's number (the store's own, never its id), or NULL.
    instance INTEGER,
    -- Events received before this time (Unix seconds) were purged, or NULL.
    purged_before INTEGER
  );`
