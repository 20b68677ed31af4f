/** The aggregates in SQLite: applying deltas inside the ingest or deletion transaction, and reading them. */
import type Database from 'better-sqlite3'

import type {Dictionary} from './dictionary.js'

import {addTo, type Histogram} from './report/histogram.js'
import {addHistogram, decodeIds, encodeHistogram, encodeIds} from './rollup/codecs.js'
import {type RollupDelta, splitPeriodKey} from './rollup/delta.js'
import {COUNTER_KIND, type CounterRow, type RollupReader, TALLY_KIND} from './rollup/query.js'

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

/** Tables the aggregates live in (rebuild empties them). */
export const ROLLUP_TABLES = ['counters', 'profiles', 'presence', 'active', 'tallies'] as const

export function counterKind(key: string): number {
  return COUNTER_KIND[JSON.parse(key)[0] as 'm']
}

export function tallyKind(key: string): number {
  return TALLY_KIND[JSON.parse(key)[0] as 'l']
}

const list = (n: number) => Array.from({length: n}, () => '?').join(', ')

/** A string's dictionary id (added before the delta is applied). */
function idIn(dict: Dictionary): (value: string) => number {
  return (value) => dict.idOf(value)!
}

export class SqliteRollups implements RollupReader {
  private readonly statements

  constructor(
    private readonly db: Database.Database,
    private readonly dict: Dictionary,
  ) {
    this.statements = {
      activeAdd: db.prepare(
        `INSERT INTO active (period, product, instances, events) VALUES (?, ?, ?, ?)
         ON CONFLICT DO UPDATE SET instances = instances + excluded.instances, events = events + excluded.events`,
      ),
      activeClean: db.prepare('DELETE FROM active WHERE instances <= 0 AND events <= 0'),
      counter: db.prepare(
        'SELECT events, failures, histogram FROM counters WHERE period = ? AND kind = ? AND cell = ?',
      ),
      counterDelete: db.prepare('DELETE FROM counters WHERE period = ? AND kind = ? AND cell = ?'),
      counterPut: db.prepare(
        'INSERT OR REPLACE INTO counters (period, kind, cell, events, failures, histogram) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      presenceAdd: db.prepare('INSERT OR IGNORE INTO presence (period, product, instance) VALUES (?, ?, ?)'),
      presenceDelete: db.prepare('DELETE FROM presence WHERE instance = ?'),
      presenceOf: db.prepare('SELECT period, product FROM presence WHERE instance = ?'),
      profile: db.prepare('SELECT cells FROM profiles WHERE period = ? AND instance = ?'),
      profileDelete: db.prepare('DELETE FROM profiles WHERE instance = ?'),
      profilePut: db.prepare('INSERT OR REPLACE INTO profiles (period, instance, cells) VALUES (?, ?, ?)'),
      tallyAdd: db.prepare(
        'INSERT INTO tallies (period, kind, cell, n) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n',
      ),
      tallyClean: db.prepare('DELETE FROM tallies WHERE period = ? AND kind = ? AND cell = ? AND n = 0'),
    }
  }

  async active(first: number, last: number, product: number) {
    return this.db
      .prepare('SELECT period, instances, events FROM active WHERE period BETWEEN ? AND ? AND product = ?')
      .all(first, last, product) as {events: number; instances: number; period: number}[]
  }

  /** Apply a delta (inside the caller's transaction). */
  apply(delta: RollupDelta): void {
    const s = this.statements
    const id = idIn(this.dict)
    for (const [pk, d] of delta.counters) {
      const [period, key] = splitPeriodKey(pk)
      const kind = counterKind(key)
      const cell = id(key)
      const row = s.counter.get(period, kind, cell) as
        undefined | {events: number; failures: number; histogram: Buffer | null}
      const events = (row?.events ?? 0) + d.events
      if (events <= 0) {
        s.counterDelete.run(period, kind, cell)
        continue
      }

      const histogram: Histogram = new Map()
      addHistogram(histogram, row?.histogram ?? null)
      for (const [bucket, n] of d.histogram) addTo(histogram, bucket, n)
      s.counterPut.run(
        period,
        kind,
        cell,
        events,
        (row?.failures ?? 0) + d.failures,
        histogram.size === 0 ? null : encodeHistogram(histogram),
      )
    }

    for (const [instance, byPeriod] of delta.profiles) {
      for (const [period, keys] of byPeriod) {
        const row = s.profile.get(period, instance) as undefined | {cells: Buffer}
        const ids = [...decodeIds(row?.cells ?? null), ...[...keys].map((k) => id(k))]
        s.profilePut.run(period, instance, encodeIds(ids))
      }
    }

    for (const [pk, instances] of delta.presence) {
      const [period, product] = splitPeriodKey(pk)
      const productId = product === '' ? 0 : id(product)
      let added = 0
      for (const instance of instances) added += s.presenceAdd.run(period, productId, instance).changes
      if (added > 0) s.activeAdd.run(period, productId, added, 0)
    }

    for (const [pk, events] of delta.activeEvents) {
      const [period, product] = splitPeriodKey(pk)
      s.activeAdd.run(period, product === '' ? 0 : id(product), 0, events)
    }

    for (const [pk, n] of delta.tallies) {
      const [period, key] = splitPeriodKey(pk)
      s.tallyAdd.run(period, tallyKind(key), id(key), n)
      if (n < 0) s.tallyClean.run(period, tallyKind(key), id(key))
    }

    if (delta.sign === -1) s.activeClean.run()
  }

  async counters(periods: number[], kind: number): Promise<CounterRow[]> {
    return this.db
      .prepare(
        `SELECT period, cell, events, failures, histogram FROM counters WHERE kind = ? AND period IN (${list(periods.length)})`,
      )
      .all(kind, ...periods) as CounterRow[]
  }

  async dayBounds(): Promise<[number, number] | undefined> {
    const row = this.db
      .prepare('SELECT MIN(period) AS first, MAX(period) AS last FROM active WHERE period < 100000 AND product = 0')
      .get() as {first: null | number; last: null | number}
    return row.first === null ? undefined : [row.first, row.last!]
  }

  async profiles(periods: number[]) {
    return this.db
      .prepare(`SELECT period, instance, cells FROM profiles WHERE period IN (${list(periods.length)})`)
      .all(...periods) as {cells: Buffer; instance: number; period: number}[]
  }

  /** Take an instance out of the sets (profiles, presence) and of the active counts. */
  removeInstance(instance: number): void {
    const s = this.statements
    for (const row of s.presenceOf.all(instance) as {period: number; product: number}[]) {
      s.activeAdd.run(row.period, row.product, -1, 0)
    }

    s.presenceDelete.run(instance)
    s.profileDelete.run(instance)
    s.activeClean.run()
  }

  async tallies(periods: number[], kind: number) {
    return this.db
      .prepare(`SELECT period, cell, n FROM tallies WHERE kind = ? AND period IN (${list(periods.length)})`)
      .all(kind, ...periods) as {cell: number; n: number; period: number}[]
  }

  /**
   * Of the dictionary ids given (cells and products a deletion touched), those no aggregate refers
   * to any more: the deletion overwrites them, so no value only the deleted instance sent stays.
   */
  unused(cells: Iterable<number>, products: Iterable<number>): number[] {
    const cellUsed = this.db.prepare(
      'SELECT EXISTS (SELECT 1 FROM counters WHERE cell = @id) OR EXISTS (SELECT 1 FROM tallies WHERE cell = @id) AS used',
    )
    // Products are few; the events scan runs only for a product nothing else uses any more.
    const productUsed = this.db.prepare(
      'SELECT EXISTS (SELECT 1 FROM active WHERE product = @id) OR EXISTS (SELECT 1 FROM events WHERE product = @id) AS used',
    )
    return [
      ...[...cells].filter((id) => (cellUsed.get({id}) as {used: number}).used === 0),
      ...[...products].filter((id) => (productUsed.get({id}) as {used: number}).used === 0),
    ]
  }
}
