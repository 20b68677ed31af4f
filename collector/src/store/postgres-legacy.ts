/** Schema 3's aggregate tables (PostgreSQL), kept so that old databases migrate through it to schema 4. */
export const POSTGRES_ROLLUP_SCHEMA = `
  CREATE TABLE counters (
    period INTEGER NOT NULL, kind SMALLINT NOT NULL, cell INTEGER NOT NULL,
    events INTEGER NOT NULL, failures INTEGER NOT NULL, histogram BYTEA,
    PRIMARY KEY (period, kind, cell)
  );
  CREATE TABLE profiles (
    period INTEGER NOT NULL, instance INTEGER NOT NULL, cells BYTEA NOT NULL,
    PRIMARY KEY (period, instance)
  );
  CREATE INDEX profiles_instance ON profiles (instance);
  CREATE TABLE presence (
    period INTEGER NOT NULL, product INTEGER NOT NULL, instance INTEGER NOT NULL,
    PRIMARY KEY (period, product, instance)
  );
  CREATE INDEX presence_instance ON presence (instance);
  CREATE TABLE active (
    period INTEGER NOT NULL, product INTEGER NOT NULL, instances INTEGER NOT NULL, events INTEGER NOT NULL,
    PRIMARY KEY (period, product)
  );
  CREATE TABLE tallies (
    period INTEGER NOT NULL, kind SMALLINT NOT NULL, cell INTEGER NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (period, kind, cell)
  );
  CREATE INDEX events_session ON events (session);`
