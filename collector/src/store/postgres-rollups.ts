/**
 * The aggregates in PostgreSQL. One aggregator at a time writes them (the transaction holds the
 * aggregator row's lock, as deletions, purges and rebuilds do), so a chunk's rows are read, merged
 * in JavaScript and upserted in key order without lost updates or deadlocks between collectors.
 */
import type pg from 'pg'

import type {Dictionary} from './dictionary.js'

import {keptValues, moves, OTHER, PROPERTY_CAP, Resums} from './rollup/cap.js'
import {type DayRow, daySpan, partsOf, summedRows, withEventDays} from './rollup/close.js'
import {type AggDelta, type DayKept, dayKept, type RowDelta} from './rollup/delta.js'
import {WEEK} from './rollup/periods.js'
import {type AggRow, type RollupReader, type ValueTotal} from './rollup/query.js'
import {type PeriodTotal} from './rollup/rebuild-check.js'
import {propertyDims, TOTAL_DIM} from './rollup/rows.js'
import {closedTallies, mergeCounts, type TallyChange, tallyChanges} from './rollup/tally-sets.js'
import {mergeRow} from './sqlite-rollups.js'

export const POSTGRES_AGG_SCHEMA = `
  DROP TABLE IF EXISTS counters, profiles, presence, active, tallies;
  CREATE TABLE agg (
    period INTEGER NOT NULL, level BIGINT NOT NULL, dim INTEGER NOT NULL, value INTEGER NOT NULL,
    events INTEGER NOT NULL, failures INTEGER NOT NULL, histogram BYTEA, instances BYTEA,
    PRIMARY KEY (period, level, dim, value)
  );
  CREATE INDEX agg_value ON agg (value) WHERE level = 0;
  -- Raw events are read by instance, session, id and received time; no report reads them by ts.
  DROP INDEX IF EXISTS events_ts;
  CREATE TABLE tallies (
    period INTEGER NOT NULL, kind SMALLINT NOT NULL, cell INTEGER NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (period, kind, cell)
  );
  CREATE INDEX tallies_cell ON tallies (cell);
  CREATE TABLE aggregator (id INTEGER PRIMARY KEY CHECK (id = 1), watermark BIGINT NOT NULL);
  INSERT INTO aggregator (id, watermark) VALUES (1, 0);`

/** 5: weeks and months get rows once closed (see rollup/periods.ts); the aggregates are rebuilt. */
export const POSTGRES_CLOSED_PERIODS = `
  TRUNCATE agg;
  DROP TABLE tallies;
  -- Session tallies packed per period and kind (see rollup/tally-sets.ts).
  CREATE TABLE tally_sets (
    period INTEGER NOT NULL, kind SMALLINT NOT NULL, cells BYTEA NOT NULL, PRIMARY KEY (period, kind)
  );
  ALTER TABLE aggregator ADD COLUMN closed_through INTEGER;
  UPDATE aggregator SET watermark = 0;`

/**
 * 7: the property cap (see rollup/cap.ts): the rows of values their day does not keep move to
 * agg_spill, which reports do not read; capStoredDays() caps the days stored before.
 */
export const POSTGRES_PROPERTY_CAP = `
  CREATE TABLE agg_spill (
    period INTEGER NOT NULL, level BIGINT NOT NULL, dim INTEGER NOT NULL, value INTEGER NOT NULL,
    events INTEGER NOT NULL, failures INTEGER NOT NULL, histogram BYTEA, instances BYTEA,
    -- Read by day and property, across levels (ranking a day, summing OTHER).
    PRIMARY KEY (period, dim, level, value)
  );
  CREATE INDEX agg_spill_value ON agg_spill (value) WHERE level = 0;
  -- The cap the stored days are capped at; NULL until they are (capTo).
  ALTER TABLE aggregator ADD COLUMN property_cap INTEGER;`

type RowTable = 'agg' | 'agg_spill'

const ROW_COLUMNS = 'period, level, dim, value, events, failures, histogram, instances'

function columns<T extends unknown[]>(rows: T[], width: number): unknown[][] {
  const out: unknown[][] = Array.from({length: width}, () => [])
  for (const row of rows) for (let i = 0; i < width; i++) out[i].push(row[i])
  return out
}

interface StoredRow {
  dim: number
  events: number
  failures: number
  histogram: Buffer | null
  instances: Buffer | null
  level: string
  period: number
  value: number
}

export class PostgresRollups implements Omit<RollupReader, 'rawFacts'> {
  /** Whether a dimension id names a custom property. */
  private readonly property: (dim: number) => boolean

  constructor(
    private readonly pool: pg.Pool,
    private readonly dict: Dictionary,
  ) {
    this.property = propertyDims(dict)
  }

  /**
   * Apply a delta inside the caller's transaction (which holds the aggregator row's lock), rows in
   * key order, capping properties (see rollup/cap.ts). `removed`: the deleted instance, taken out
   * of the sets of the rows it touched.
   */
  async apply(client: pg.PoolClient, delta: AggDelta, removed?: number): Promise<void> {
    const other = this.dict.idOf(OTHER)!
    const cap = await this.cap(client)
    const pairs = delta.dayDims(this.property)
    const known = new Map<string, DayKept>()
    if (pairs.length > 0) {
      const {rows} = await client.query<{dim: number; period: number; spilled: boolean; value: number}>(
        `SELECT a.period, a.dim, a.value, false AS spilled FROM agg a
           JOIN unnest($1::int[], $2::int[]) AS u(period, dim) ON a.period = u.period AND a.level = 0 AND a.dim = u.dim
         WHERE a.value != $3
         UNION ALL
         SELECT u.period, u.dim, 0, true FROM unnest($1::int[], $2::int[]) AS u(period, dim)
         WHERE EXISTS (SELECT 1 FROM agg_spill s WHERE s.period = u.period AND s.dim = u.dim)`,
        [...columns(pairs, 2), other],
      )
      const kept = new Map(pairs.map(([day, dim]) => [`${day} ${dim}`, new Set<number>()]))
      const spilled = new Set<string>()
      for (const r of rows) {
        if (r.spilled) spilled.add(`${r.period} ${r.dim}`)
        else kept.get(`${r.period} ${r.dim}`)!.add(r.value)
      }

      for (const [key, values] of kept) known.set(key, dayKept(values, spilled.has(key), cap))
    }

    const touched = delta.spillUnkept((day, dim) => known.get(`${day} ${dim}`), other)
    await this.applyRows(client, delta.sortedRows(), removed)
    await this.applyRows(client, delta.sortedSpill(), removed, 'agg_spill')
    await this.addTallies(client, tallyChanges(delta, this.dict))
    await this.recap(client, touched, delta.closedThrough, cap)
  }

  /** The cap the stored days are capped at (see capTo). */
  async cap(client: pg.PoolClient): Promise<number> {
    const {rows} = await client.query<{property_cap: null | number}>('SELECT property_cap FROM aggregator')
    return rows[0].property_cap ?? PROPERTY_CAP
  }

  /**
   * Caps every stored day at `cap`, inside the caller's transaction (which holds the aggregator
   * row's lock), and records it: when a store aggregated before the cap existed opens (its day rows
   * of a sent OTHER then move to the spill first), and when the cap changes. Every day is ranked
   * again and its OTHER summed again. The same steps as SQLite's.
   */
  async capTo(client: pg.PoolClient, cap: number): Promise<void> {
    const {rows: state} = await client.query<{property_cap: null | number}>('SELECT property_cap FROM aggregator')
    const other = this.dict.idOf(OTHER)!
    const {rows} = await client.query<{dim: number; period: number}>(
      `SELECT DISTINCT period, dim FROM agg WHERE period < ${WEEK} AND level = 0`,
    )
    await this.loadStringsOf(
      client,
      rows.map((r) => r.dim),
    )
    const days = rows.filter((r) => this.property(r.dim)).map((r): [number, number] => [r.period, r.dim])
    if (state[0].property_cap === null) {
      // eslint-disable-next-line no-await-in-loop -- inside one transaction
      for (const [day, dim] of days) await this.move(client, day, dim, [other], 'agg_spill')
    }

    await this.recap(client, days, await this.closedThrough(client), cap, true)
    await client.query('UPDATE aggregator SET property_cap = $1', [cap])
  }

  /** Make a closing week's or month's rows and session tallies from its days' (see rollup/close.ts). */
  async close(client: pg.PoolClient, period: number, closedThrough: number): Promise<void> {
    const parts = partsOf(period, closedThrough)
    const {rows} = await client.query<Omit<DayRow, 'level'> & {level: string}>(
      `SELECT level::text AS level, dim, value, events, failures, histogram, instances FROM agg
       WHERE period = ANY($1::int[])`,
      [parts],
    )
    await this.applyRows(
      client,
      summedRows(
        period,
        rows.map((r) => ({...r, level: Number(r.level)})),
      ),
    )
    const {rows: sets} = await client.query<{cells: Buffer; kind: number}>(
      'SELECT kind, cells FROM tally_sets WHERE period = ANY($1::int[])',
      [parts],
    )
    await this.addTallies(client, closedTallies(period, sets))
  }

  /** The day through which weeks and months have rows (-Infinity before the first chunk). */
  async closedThrough(client?: pg.PoolClient): Promise<number> {
    const {rows} = await (client ?? this.pool).query<{closed_through: null | number}>(
      'SELECT closed_through FROM aggregator',
    )
    return rows[0].closed_through ?? Number.NEGATIVE_INFINITY
  }

  /** The closing periods with a day that has events (see withEventDays): one query, an index probe a day. */
  async closingWithEvents(client: pg.PoolClient, periods: readonly number[]): Promise<number[]> {
    if (periods.length === 0) return []
    const total = this.dict.idOf(TOTAL_DIM)
    if (total === undefined) return []
    const [first, last] = daySpan(periods)
    const {rows} = await client.query<{day: number}>(
      `SELECT d AS day FROM generate_series($1::int, $2::int) AS d
       WHERE EXISTS (SELECT 1 FROM agg WHERE period = d AND level = 0 AND dim = $3)`,
      [first, last, total],
    )
    return withEventDays(periods, new Set(rows.map((r) => r.day)))
  }

  async dayBounds(totalDim: number): Promise<[number, number] | undefined> {
    const {rows} = await this.pool.query<{first: null | number; last: null | number}>(
      `SELECT (SELECT period FROM agg WHERE period < ${WEEK} AND level = 0 AND dim = $1 ORDER BY period LIMIT 1) AS first,
              (SELECT period FROM agg WHERE period < ${WEEK} AND level = 0 AND dim = $1 ORDER BY period DESC LIMIT 1) AS last`,
      [totalDim],
    )
    return rows[0].first === null ? undefined : [rows[0].first, rows[0].last!]
  }

  async dims(periods: number[], level: number): Promise<{dim: number; events: number}[]> {
    const {rows} = await this.pool.query<{dim: number; events: string}>(
      'SELECT dim, SUM(events) AS events FROM agg WHERE period = ANY($1::int[]) AND level = $2 GROUP BY dim',
      [periods, level],
    )
    return rows.map((r) => ({dim: r.dim, events: Number(r.events)}))
  }

  async kept(days: number[], dim: number): Promise<{period: number; value: number}[]> {
    const {rows} = await this.pool.query<{period: number; value: number}>(
      'SELECT period, value FROM agg WHERE period = ANY($1::int[]) AND level = 0 AND dim = $2 AND value != $3',
      [days, dim, this.dict.idOf(OTHER) ?? 0],
    )
    return rows
  }

  /** Each day's, week's and month's events (see rollup/rebuild-check.ts). */
  async periodTotals(client: pg.PoolClient): Promise<PeriodTotal[]> {
    // The id from the table, not the dictionary: another collector may have folded everything.
    const {rows} = await client.query<{events: string; period: number}>(
      'SELECT period, SUM(events)::text AS events FROM agg WHERE level = 0 AND dim = (SELECT id FROM strings WHERE value = $1) GROUP BY period',
      [TOTAL_DIM],
    )
    return rows.map((r) => ({events: Number(r.events), period: r.period}))
  }

  async rows(periods: number[], level: number, dim: number, values?: number[]): Promise<AggRow[]> {
    const {rows} = await this.pool.query<AggRow>(
      `SELECT period, value, events, failures, histogram, instances FROM agg
       WHERE period = ANY($1::int[]) AND level = $2 AND dim = $3${values === undefined ? '' : ' AND value = ANY($4::int[])'}`,
      values === undefined ? [periods, level, dim] : [periods, level, dim, values],
    )
    return rows
  }

  async tallySets(periods: number[], kind: number): Promise<Uint8Array[]> {
    const {rows} = await this.pool.query<{cells: Buffer}>(
      'SELECT cells FROM tally_sets WHERE kind = $1 AND period = ANY($2::int[])',
      [kind, periods],
    )
    return rows.map((r) => r.cells)
  }

  async totals(periods: number[], level: number, dim: number): Promise<ValueTotal[]> {
    const {rows} = await this.pool.query<{events: string; failures: string; value: number}>(
      `SELECT value, SUM(events) AS events, SUM(failures) AS failures FROM agg
       WHERE period = ANY($1::int[]) AND level = $2 AND dim = $3 GROUP BY value HAVING SUM(events) > 0`,
      [periods, level, dim],
    )
    return rows.map((r) => ({events: Number(r.events), failures: Number(r.failures), value: r.value}))
  }

  /** Add to packed tallies (changes in key order), inside the caller's transaction. */
  private async addTallies(client: pg.PoolClient, changes: TallyChange[]): Promise<void> {
    const wanted = changes.filter((c) => c.changes.size > 0)
    if (wanted.length === 0) return
    const {rows} = await client.query<{cells: Buffer; kind: number; period: number}>(
      `SELECT t.period, t.kind, t.cells FROM tally_sets t
       JOIN unnest($1::int[], $2::smallint[]) AS u(period, kind) ON t.period = u.period AND t.kind = u.kind`,
      [wanted.map((c) => c.period), wanted.map((c) => c.kind)],
    )
    const stored = new Map(rows.map((r) => [`${r.period} ${r.kind}`, r.cells]))
    const put: unknown[][] = []
    const gone: unknown[][] = []
    for (const {changes: counts, kind, period} of wanted) {
      const cells = mergeCounts(stored.get(`${period} ${kind}`) ?? null, counts)
      if (cells) put.push([period, kind, cells])
      else gone.push([period, kind])
    }

    if (put.length > 0) {
      await client.query(
        `INSERT INTO tally_sets (period, kind, cells)
         SELECT * FROM unnest($1::int[], $2::smallint[], $3::bytea[])
         ON CONFLICT (period, kind) DO UPDATE SET cells = excluded.cells`,
        columns(put, 3),
      )
    }

    if (gone.length > 0) {
      await client.query(
        `DELETE FROM tally_sets t USING unnest($1::int[], $2::smallint[]) AS u(period, kind)
         WHERE t.period = u.period AND t.kind = u.kind`,
        columns(gone, 2),
      )
    }
  }

  /** Rows read, merged and upserted in key order (inside the caller's transaction). */
  private async applyRows(
    client: pg.PoolClient,
    changes: RowDelta[],
    removed?: number,
    table: RowTable = 'agg',
  ): Promise<void> {
    if (changes.length === 0) return
    const keys = columns(
      changes.map((c) => [c.period, c.level, c.dim, c.value]),
      4,
    )
    const {rows} = await client.query<StoredRow>(
      `SELECT a.period, a.level::text AS level, a.dim, a.value, a.events, a.failures, a.histogram, a.instances
       FROM ${table} a JOIN unnest($1::int[], $2::bigint[], $3::int[], $4::int[]) AS u(period, level, dim, value)
         ON a.period = u.period AND a.level = u.level AND a.dim = u.dim AND a.value = u.value`,
      keys,
    )
    const existing = new Map(rows.map((r) => [`${r.period} ${r.level} ${r.dim} ${r.value}`, r]))
    const put: unknown[][] = []
    const gone: unknown[][] = []
    for (const c of changes) {
      const key = [c.period, c.level, c.dim, c.value]
      const old = existing.get(key.join(' '))
      const row = mergeRow(old, c, removed)
      if (row) put.push([...key, row.events, row.failures, row.histogram, row.instances])
      else if (old) gone.push(key)
    }

    if (put.length > 0) {
      await client.query(
        `INSERT INTO ${table} (${ROW_COLUMNS})
         SELECT * FROM unnest($1::int[], $2::bigint[], $3::int[], $4::int[], $5::int[], $6::int[], $7::bytea[], $8::bytea[])
         ON CONFLICT (period, level, dim, value) DO UPDATE SET events = excluded.events,
           failures = excluded.failures, histogram = excluded.histogram, instances = excluded.instances`,
        columns(put, 8),
      )
    }

    if (gone.length > 0) {
      await client.query(
        `DELETE FROM ${table} a USING unnest($1::int[], $2::bigint[], $3::int[], $4::int[]) AS u(period, level, dim, value)
         WHERE a.period = u.period AND a.level = u.level AND a.dim = u.dim AND a.value = u.value`,
        columns(gone, 4),
      )
    }
  }

  /** Load the strings of `ids` that another collector added (ranking breaks ties by text). */
  private async loadStringsOf(client: pg.PoolClient, ids: number[]): Promise<void> {
    const missing = ids.filter((id) => !this.dict.has(id))
    if (missing.length === 0) return
    const {rows} = await client.query<{id: number; value: string}>(
      'SELECT id, value FROM strings WHERE id = ANY($1::int[])',
      [missing],
    )
    for (const {id, value} of rows) this.dict.set(id, value)
  }

  /** Moves a day's rows of some values of a dimension to one table from the other (every level). */
  private async move(client: pg.PoolClient, day: number, dim: number, values: number[], to: RowTable): Promise<void> {
    if (values.length === 0) return
    const from = to === 'agg' ? 'agg_spill' : 'agg'
    await client.query(
      `WITH moved AS (DELETE FROM ${from} WHERE period = $1 AND dim = $2 AND value = ANY($3::int[]) RETURNING *)
       INSERT INTO ${to} (${ROW_COLUMNS}) SELECT ${ROW_COLUMNS} FROM moved`,
      [day, dim, values],
    )
  }

  /**
   * Ranks changed property days again from their exact rows (kept and spilled): values that enter
   * or leave a day's kept set move between agg and agg_spill, OTHER's rows of the day are summed
   * again from the spilled ones, and so are the rows of those values in the day's closed week and
   * month (from their parts, weeks before months). `all`: every day so, even with no value moving.
   * The same steps as SQLite's.
   */
  private async recap(
    client: pg.PoolClient,
    touched: [number, number][],
    closedThrough: number,
    cap: number,
    all = false,
  ): Promise<void> {
    const other = this.dict.idOf(OTHER)!
    const resums = new Resums(other, closedThrough)
    /* eslint-disable no-await-in-loop -- one day after another, inside one transaction */
    for (const [day, dim] of touched) {
      const {rows: totals} = await client.query<{events: number; spilled: boolean; value: number}>(
        `SELECT value, events, false AS spilled FROM agg WHERE period = $1 AND level = 0 AND dim = $2
         UNION ALL SELECT value, events, true FROM agg_spill WHERE period = $1 AND dim = $2 AND level = 0`,
        [day, dim],
      )
      const kept = new Set(totals.filter((t) => !t.spilled && t.value !== other).map((t) => t.value))
      await this.loadStringsOf(
        client,
        totals.map((t) => t.value),
      )
      const {enter, leave} = moves(
        kept,
        keptValues(totals, cap, (id) => this.dict.decode(id) as string, other),
      )
      if (enter.length === 0 && leave.length === 0 && !all) continue
      await this.move(client, day, dim, leave, 'agg_spill')
      await this.move(client, day, dim, enter, 'agg')
      await client.query('DELETE FROM agg WHERE period = $1 AND dim = $2 AND value = $3', [day, dim, other])
      const {rows: spilled} = await client.query<Omit<DayRow, 'level'> & {level: string}>(
        `SELECT level::text AS level, dim, value, events, failures, histogram, instances FROM agg_spill
         WHERE period = $1 AND dim = $2`,
        [day, dim],
      )
      await this.applyRows(
        client,
        summedRows(
          day,
          spilled.map((r) => ({...r, level: Number(r.level), value: other})),
        ),
      )
      resums.add(day, dim, [...enter, ...leave])
    }

    for (const [period, dim, values] of resums.ordered()) await this.resum(client, period, dim, values, closedThrough)
    /* eslint-enable no-await-in-loop */
  }

  /** A closed week's or month's rows of some values of a dimension, summed again from its parts. */
  private async resum(
    client: pg.PoolClient,
    period: number,
    dim: number,
    values: number[],
    closedThrough: number,
  ): Promise<void> {
    await client.query('DELETE FROM agg WHERE period = $1 AND dim = $2 AND value = ANY($3::int[])', [
      period,
      dim,
      values,
    ])
    const {rows} = await client.query<Omit<DayRow, 'level'> & {level: string}>(
      `SELECT level::text AS level, dim, value, events, failures, histogram, instances FROM agg
       WHERE period = ANY($1::int[]) AND dim = $2 AND value = ANY($3::int[])`,
      [partsOf(period, closedThrough), dim, values],
    )
    await this.applyRows(
      client,
      summedRows(
        period,
        rows.map((r) => ({...r, level: Number(r.level)})),
      ),
    )
  }
}
