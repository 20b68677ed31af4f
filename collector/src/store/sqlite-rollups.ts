/** The aggregates in SQLite: applying a chunk's or a deletion's delta inside its transaction, and reading them. */
import type Database from 'better-sqlite3'

import type {Dictionary} from './dictionary.js'

import {DICT_COLUMNS} from './codec.js'
import {type Histogram} from './report/histogram.js'
import {keptValues, moves, OTHER, PROPERTY_CAP, Resums} from './rollup/cap.js'
import {type DayRow, daySpan, partsOf, summedRows, withEventDays} from './rollup/close.js'
import {mergeHistogram} from './rollup/codecs.js'
import {type AggDelta, type DayKept, dayKept, type RowDelta} from './rollup/delta.js'
import {encodeSorted, sortedDistinct, updateSet} from './rollup/instance-set.js'
import {WEEK} from './rollup/periods.js'
import {type AggRow, type RollupReader, type ValueTotal} from './rollup/query.js'
import {type PeriodTotal} from './rollup/rebuild-check.js'
import {propertyDims, TOTAL_DIM} from './rollup/rows.js'
import {closedTallies, mergeCounts, sumCounts, type TallyChange, tallyChanges} from './rollup/tally-sets.js'

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

/** 5: weeks and months get rows once closed (see rollup/periods.ts); the aggregates are rebuilt. */
export const SQLITE_CLOSED_PERIODS = `
  DELETE FROM agg;
  DROP TABLE tallies;
  -- Session tallies packed per period and kind (see rollup/tally-sets.ts).
  CREATE TABLE tally_sets (
    period INTEGER NOT NULL, kind INTEGER NOT NULL, cells BLOB NOT NULL, PRIMARY KEY (period, kind)
  ) WITHOUT ROWID;
  ALTER TABLE aggregator ADD COLUMN closed_through INTEGER;
  UPDATE aggregator SET watermark = 0;`

/**
 * 7: the property cap (see rollup/cap.ts): the rows of values their day does not keep move to
 * agg_spill, which reports do not read; capStoredDays() caps the days stored before.
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

type RowTable = 'agg' | 'agg_spill'

const ROW_COLUMNS = 'period, level, dim, value, events, failures, histogram, instances'

const list = (n: number) => Array.from({length: n}, () => '?').join(', ')

/** A long list of values in slices that fit a statement's parameters (SQLite allows 32,766). */
function* slices(values: number[], size = 10_000): Generator<number[]> {
  for (let i = 0; i < values.length; i += size) yield values.slice(i, i + size)
}

interface StoredRow {
  events: number
  failures: number
  histogram: Buffer | null
  instances: Buffer | null
}

/** A stored row with a delta applied; undefined when no event is left. */
export function mergeRow(
  row: StoredRow | undefined,
  d: {events: number; failures: number; histogram: Histogram | undefined; instances: number[]},
  removed: number | undefined,
): StoredRow | undefined {
  const events = (row?.events ?? 0) + d.events
  if (events <= 0) return undefined
  const stored = row?.histogram ?? null
  const histogram = d.histogram ? mergeHistogram(stored, d.histogram) : stored

  const added = sortedDistinct(d.instances)
  const instances =
    row === undefined
      ? encodeSorted(added)
      : added.length > 0 || removed !== undefined
        ? updateSet(row.instances, added, removed)
        : row.instances
  return {events, failures: (row?.failures ?? 0) + d.failures, histogram, instances}
}

/** The statements that upsert one table's rows. */
function rowStatements(db: Database.Database, table: RowTable) {
  return {
    get: db.prepare(
      `SELECT events, failures, histogram, instances FROM ${table} WHERE period = ? AND level = ? AND dim = ? AND value = ?`,
    ),
    insert: db.prepare(
      `INSERT INTO ${table} (period, level, dim, value, events, failures, histogram, instances) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    remove: db.prepare(`DELETE FROM ${table} WHERE period = ? AND level = ? AND dim = ? AND value = ?`),
    update: db.prepare(
      `UPDATE ${table} SET events = ?, failures = ?, histogram = ?, instances = ? WHERE period = ? AND level = ? AND dim = ? AND value = ?`,
    ),
  }
}

export class SqliteRollups implements Omit<RollupReader, 'closedThrough' | 'rawFacts'> {
  /** Whether a dimension id names a custom property. */
  private readonly property: (dim: number) => boolean
  private readonly statements
  private readonly tables

  constructor(
    private readonly db: Database.Database,
    private readonly dict: Dictionary,
  ) {
    this.property = propertyDims(dict)
    this.tables = {agg: rowStatements(db, 'agg'), agg_spill: rowStatements(db, 'agg_spill')}
    this.statements = {
      cap: db.prepare('SELECT property_cap FROM aggregator').pluck(),
      closedThrough: db.prepare('SELECT closed_through FROM aggregator'),
      dayTotals: db.prepare(
        `SELECT value, events, 0 AS spilled FROM agg WHERE period = ? AND level = 0 AND dim = ?
         UNION ALL SELECT value, events, 1 FROM agg_spill WHERE period = ? AND dim = ? AND level = 0`,
      ),
      hasSpill: db.prepare('SELECT EXISTS (SELECT 1 FROM agg_spill WHERE period = ? AND dim = ?)').pluck(),
      kept: db.prepare('SELECT value FROM agg WHERE period = ? AND level = 0 AND dim = ? AND value != ?').pluck(),
      spilled: db.prepare(
        'SELECT level, dim, value, events, failures, histogram, instances FROM agg_spill WHERE period = ? AND dim = ?',
      ),
      tallyGet: db.prepare('SELECT cells FROM tally_sets WHERE period = ? AND kind = ?').pluck(),
      tallyPut: db.prepare(
        'INSERT INTO tally_sets (period, kind, cells) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET cells = excluded.cells',
      ),
      tallyRemove: db.prepare('DELETE FROM tally_sets WHERE period = ? AND kind = ?'),
    }
  }

  /**
   * Apply a delta inside the caller's transaction, rows in key order, capping properties (see
   * rollup/cap.ts). `removed`: the deleted instance, taken out of the sets of the rows it touched.
   */
  apply(delta: AggDelta, removed?: number): void {
    const other = this.dict.idOf(OTHER)!
    const cap = this.cap()
    const known = new Map<string, DayKept>()
    for (const [day, dim] of delta.dayDims(this.property)) {
      const kept = new Set(this.statements.kept.all(day, dim, other) as number[])
      known.set(`${day} ${dim}`, dayKept(kept, this.statements.hasSpill.get(day, dim) === 1, cap))
    }

    const touched = delta.spillUnkept((day, dim) => known.get(`${day} ${dim}`), other)
    this.applyRows(delta.sortedRows(), removed)
    this.applyRows(delta.sortedSpill(), removed, 'agg_spill')
    this.addTallies(tallyChanges(delta, this.dict))
    this.recap(touched, delta.closedThrough, cap)
  }

  /** The cap the stored days are capped at (null: not yet, see capTo). */
  cap(): number {
    return (this.statements.cap.get() as null | number) ?? PROPERTY_CAP
  }

  /**
   * Caps every stored day at `cap`, inside the caller's transaction, and records it: when a
   * store aggregated before the cap existed opens (its day rows of a sent OTHER then move to the
   * spill first), and when the cap changes. Every day is ranked again and its OTHER summed again.
   */
  capTo(cap: number, closedThrough: number): void {
    const fromUncapped = this.statements.cap.get() === null
    const other = this.dict.idOf(OTHER)!
    const pairs = this.db
      .prepare(`SELECT DISTINCT period, dim FROM agg WHERE period < ${WEEK} AND level = 0`)
      .all() as {dim: number; period: number}[]
    const days = pairs.filter((p) => this.property(p.dim)).map((p): [number, number] => [p.period, p.dim])
    if (fromUncapped) for (const [day, dim] of days) this.move(day, dim, [other], 'agg_spill')
    this.recap(days, closedThrough, cap, true)
    this.db.prepare('UPDATE aggregator SET property_cap = ?').run(cap)
  }

  /** Make a closing week's or month's rows and session tallies from its parts' (see rollup/close.ts). */
  close(period: number, closedThrough: number): void {
    const parts = partsOf(period, closedThrough)
    const days = this.db
      .prepare(
        `SELECT level, dim, value, events, failures, histogram, instances FROM agg WHERE period IN (${list(parts.length)})`,
      )
      .all(...parts) as DayRow[]
    this.applyRows(summedRows(period, days))
    const sets = this.db
      .prepare(`SELECT kind, cells FROM tally_sets WHERE period IN (${list(parts.length)})`)
      .all(...parts) as {cells: Buffer; kind: number}[]
    this.addTallies(closedTallies(period, sets))
  }

  /** The day through which weeks and months are closed; null before the first chunk. */
  closedThrough(): null | number {
    return (this.statements.closedThrough.get() as {closed_through: null | number}).closed_through
  }

  /** The closing periods with a day that has events (see withEventDays): one index probe a day. */
  closingWithEvents(periods: readonly number[]): number[] {
    if (periods.length === 0) return []
    const total = this.dict.idOf(TOTAL_DIM)
    if (total === undefined) return []
    const [first, last] = daySpan(periods)
    const probe = this.db.prepare('SELECT 1 FROM agg WHERE period = ? AND level = 0 AND dim = ? LIMIT 1').pluck()
    const days = new Set<number>()
    for (let day = first; day <= last; day++) if (probe.get(day, total) !== undefined) days.add(day)
    return withEventDays(periods, days)
  }

  async dayBounds(totalDim: number): Promise<[number, number] | undefined> {
    // Two index walks from either end (MIN/MAX with these conditions would scan every day row).
    const edge = (order: 'ASC' | 'DESC') =>
      this.db
        .prepare(
          `SELECT period FROM agg WHERE period < ${WEEK} AND level = 0 AND dim = ? ORDER BY period ${order} LIMIT 1`,
        )
        .get(totalDim) as undefined | {period: number}
    const first = edge('ASC')
    return first === undefined ? undefined : [first.period, edge('DESC')!.period]
  }

  async dims(periods: number[], level: number): Promise<{dim: number; events: number}[]> {
    return this.db
      .prepare(
        `SELECT dim, SUM(events) AS events FROM agg WHERE period IN (${list(periods.length)}) AND level = ? GROUP BY dim`,
      )
      .all(...periods, level) as {dim: number; events: number}[]
  }

  async kept(days: number[], dim: number): Promise<{period: number; value: number}[]> {
    return this.db
      .prepare(
        `SELECT period, value FROM agg WHERE period IN (${list(days.length)}) AND level = 0 AND dim = ? AND value != ?`,
      )
      .all(...days, dim, this.dict.idOf(OTHER) ?? 0) as {period: number; value: number}[]
  }

  /** Each day's, week's and month's events (see rollup/rebuild-check.ts). */
  periodTotals(): PeriodTotal[] {
    // The id from the table, not the dictionary: this process may not have folded anything yet.
    return this.db
      .prepare(
        'SELECT period, SUM(events) AS events FROM agg WHERE level = 0 AND dim = (SELECT id FROM strings WHERE value = ?) GROUP BY period',
      )
      .all(TOTAL_DIM) as PeriodTotal[]
  }

  async rows(periods: number[], level: number, dim: number, values?: number[]): Promise<AggRow[]> {
    const only = values === undefined ? '' : ` AND value IN (${list(values.length)})`
    return this.db
      .prepare(
        `SELECT period, value, events, failures, histogram, instances FROM agg
         WHERE period IN (${list(periods.length)}) AND level = ? AND dim = ?${only}`,
      )
      .all(...periods, level, dim, ...(values ?? [])) as AggRow[]
  }

  async tallySets(periods: number[], kind: number): Promise<Uint8Array[]> {
    return this.db
      .prepare(`SELECT cells FROM tally_sets WHERE kind = ? AND period IN (${list(periods.length)})`)
      .pluck()
      .all(kind, ...periods) as Buffer[]
  }

  async totals(periods: number[], level: number, dim: number): Promise<ValueTotal[]> {
    return this.db
      .prepare(
        `SELECT value, SUM(events) AS events, SUM(failures) AS failures FROM agg
         WHERE period IN (${list(periods.length)}) AND level = ? AND dim = ? GROUP BY value HAVING SUM(events) > 0`,
      )
      .all(...periods, level, dim) as ValueTotal[]
  }

  /**
   * Of the dictionary ids given (values and tally keys a deletion touched), those nothing refers to
   * any more: the deletion overwrites them, so no value only the deleted instance sent stays.
   */
  unused(ids: Iterable<number>): number[] {
    const used = this.db.prepare(
      `SELECT EXISTS (SELECT 1 FROM agg WHERE value = ? AND level = 0)
           OR EXISTS (SELECT 1 FROM agg_spill WHERE value = ? AND level = 0) AS used`,
    )
    let candidates = [...ids].filter((id) => (used.get(id, id) as {used: number}).used === 0)
    if (candidates.length === 0) return []
    // Tally keys: every packed set is read (a deletion is rare; the sets are a few per period).
    const inTallies = new Set<number>()
    for (const cells of this.db.prepare('SELECT cells FROM tally_sets').pluck().iterate() as Iterable<Buffer>) {
      for (const cell of sumCounts([cells]).keys()) inTallies.add(cell)
    }

    candidates = candidates.filter((id) => !inTallies.has(id))
    if (candidates.length === 0) return []
    // Raw events not aggregated any more (purged aggregates) may still name one: one scan, rarely.
    const wanted = new Set(candidates)
    const inEvents = new Set<number>()
    const rows = this.db
      .prepare(
        `SELECT ${DICT_COLUMNS.join(', ')} FROM events WHERE ${DICT_COLUMNS.map((c) => `${c} IN (${list(candidates.length)})`).join(' OR ')}`,
      )
      .iterate(...DICT_COLUMNS.flatMap(() => candidates)) as Iterable<Record<string, null | number>>
    for (const row of rows) for (const c of DICT_COLUMNS) if (wanted.has(row[c]!)) inEvents.add(row[c]!)
    return candidates.filter((id) => !inEvents.has(id))
  }

  /** Add to packed tallies (changes in key order), inside the caller's transaction. */
  private addTallies(changes: TallyChange[]): void {
    const s = this.statements
    for (const {changes: counts, kind, period} of changes) {
      const cells = mergeCounts((s.tallyGet.get(period, kind) as Buffer | undefined) ?? null, counts)
      if (cells === null) s.tallyRemove.run(period, kind)
      else s.tallyPut.run(period, kind, cells)
    }
  }

  private applyRows(sorted: RowDelta[], removed?: number, table: RowTable = 'agg'): void {
    const s = this.tables[table]
    for (const d of sorted) {
      const key = [d.period, d.level, d.dim, d.value]
      const old = s.get.get(...key) as StoredRow | undefined
      const row = mergeRow(old, d, removed)
      if (!row) s.remove.run(...key)
      else if (old) s.update.run(row.events, row.failures, row.histogram, row.instances, ...key)
      else s.insert.run(...key, row.events, row.failures, row.histogram, row.instances)
    }
  }

  /** Moves a day's rows of some values of a dimension to one table from the other (every level). */
  private move(day: number, dim: number, values: number[], to: RowTable): void {
    if (values.length === 0) return
    const from = to === 'agg' ? 'agg_spill' : 'agg'
    for (const some of slices(values)) {
      const these = `period = ? AND dim = ? AND value IN (${list(some.length)})`
      this.db
        .prepare(`INSERT INTO ${to} (${ROW_COLUMNS}) SELECT ${ROW_COLUMNS} FROM ${from} WHERE ${these}`)
        .run(day, dim, ...some)
      this.db.prepare(`DELETE FROM ${from} WHERE ${these}`).run(day, dim, ...some)
    }
  }

  /**
   * Ranks changed property days again from their exact rows (kept and spilled): values that enter
   * or leave a day's kept set move between agg and agg_spill, OTHER's rows of the day are summed
   * again from the spilled ones, and so are the rows of those values in the day's closed week and
   * month (from their parts, weeks before months). `all`: every day so, even with no value moving.
   */
  private recap(touched: [number, number][], closedThrough: number, cap: number, all = false): void {
    const other = this.dict.idOf(OTHER)!
    const resums = new Resums(other, closedThrough)
    for (const [day, dim] of touched) {
      const totals = this.statements.dayTotals.all(day, dim, day, dim) as {
        events: number
        spilled: number
        value: number
      }[]
      const kept = new Set(totals.filter((t) => t.spilled === 0 && t.value !== other).map((t) => t.value))
      const {enter, leave} = moves(
        kept,
        keptValues(totals, cap, (id) => this.dict.decode(id) as string, other),
      )
      if (enter.length === 0 && leave.length === 0 && !all) continue
      this.move(day, dim, leave, 'agg_spill')
      this.move(day, dim, enter, 'agg')
      this.db.prepare('DELETE FROM agg WHERE period = ? AND dim = ? AND value = ?').run(day, dim, other)
      const spilled = this.statements.spilled.all(day, dim) as DayRow[]
      this.applyRows(
        summedRows(
          day,
          spilled.map((r) => ({...r, value: other})),
        ),
      )
      resums.add(day, dim, [...enter, ...leave])
    }

    for (const [period, dim, values] of resums.ordered()) this.resum(period, dim, values, closedThrough)
  }

  /** A closed week's or month's rows of some values of a dimension, summed again from its parts. */
  private resum(period: number, dim: number, values: number[], closedThrough: number): void {
    const parts = partsOf(period, closedThrough)
    for (const some of slices(values)) {
      const these = `dim = ? AND value IN (${list(some.length)})`
      this.db.prepare(`DELETE FROM agg WHERE period = ? AND ${these}`).run(period, dim, ...some)
      const rows = this.db
        .prepare(
          `SELECT level, dim, value, events, failures, histogram, instances FROM agg
           WHERE period IN (${list(parts.length)}) AND ${these}`,
        )
        .all(...parts, dim, ...some) as DayRow[]
      this.applyRows(summedRows(period, rows))
    }
  }
}
