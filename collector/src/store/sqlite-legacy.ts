/** Schema 3's aggregate tables (SQLite), kept so that old files migrate through it to schema 4. */
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
