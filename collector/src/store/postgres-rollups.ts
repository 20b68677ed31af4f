/**
 * The aggregates in PostgreSQL. One aggregator at a time writes them (the transaction holds the
 * aggregator row's lock, as deletions, purges and rebuilds do), so a chunk's rows are read, merged
 * in JavaScript and upserted in key order without lost updates or deadlocks between collectors.
 */
import type pg from 'pg'

import type {Dictionary} from './dictionary.js'

import {DICT_COLUMNS} from './codec.js'
import {closedRows, type DayRow, partsOf} from './rollup/close.js'
import {type AggDelta, type RowDelta, splitPeriodKey} from './rollup/delta.js'
import {WEEK} from './rollup/periods.js'
import {type AggRow, type RollupReader} from './rollup/query.js'
import {tallyKind} from './rollup/tallies.js'
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
  TRUNCATE agg, tallies;
  ALTER TABLE aggregator ADD COLUMN closed_through INTEGER;
  UPDATE aggregator SET watermark = 0;`

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
  constructor(
    private readonly pool: pg.Pool,
    private readonly dict: Dictionary,
  ) {}

  /**
   * Apply a delta inside the caller's transaction (which holds the aggregator row's lock), rows in
   * key order. `removed`: the deleted instance, taken out of the sets of the rows it touched.
   */
  async apply(client: pg.PoolClient, delta: AggDelta, removed?: number): Promise<void> {
    await this.applyRows(client, delta.sortedRows(), removed)
    const tallies: [number, number, number, number][] = []
    for (const [pk, n] of delta.tallies) {
      const [period, key] = splitPeriodKey(pk)
      tallies.push([period, tallyKind(key), this.dict.idOf(key)!, n])
    }

    if (tallies.length > 0) {
      tallies.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2])
      const [periods, kinds, cells, ns] = columns(tallies, 4)
      await client.query(
        `INSERT INTO tallies (period, kind, cell, n)
         SELECT * FROM unnest($1::int[], $2::smallint[], $3::int[], $4::int[])
         ON CONFLICT (period, kind, cell) DO UPDATE SET n = tallies.n + excluded.n`,
        [periods, kinds, cells, ns],
      )
      if (tallies.some((t) => t[3] < 0)) {
        await client.query(
          `DELETE FROM tallies t USING unnest($1::int[], $2::smallint[], $3::int[]) AS u(period, kind, cell)
           WHERE t.period = u.period AND t.kind = u.kind AND t.cell = u.cell AND t.n = 0`,
          [periods, kinds, cells],
        )
      }
    }
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
      closedRows(
        period,
        rows.map((r) => ({...r, level: Number(r.level)})),
      ),
    )
    await client.query(
      `INSERT INTO tallies (period, kind, cell, n)
       SELECT $1, kind, cell, SUM(n)::int FROM tallies WHERE period = ANY($2::int[])
       GROUP BY kind, cell HAVING SUM(n) <> 0 ORDER BY kind, cell
       ON CONFLICT (period, kind, cell) DO UPDATE SET n = tallies.n + excluded.n`,
      [period, parts],
    )
  }

  /** The day through which weeks and months have rows (-Infinity before the first chunk). */
  async closedThrough(client?: pg.PoolClient): Promise<number> {
    const {rows} = await (client ?? this.pool).query<{closed_through: null | number}>(
      'SELECT closed_through FROM aggregator',
    )
    return rows[0].closed_through ?? Number.NEGATIVE_INFINITY
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

  async rows(periods: number[], level: number, dim: number): Promise<AggRow[]> {
    const {rows} = await this.pool.query<AggRow>(
      `SELECT period, value, events, failures, histogram, instances FROM agg
       WHERE period = ANY($1::int[]) AND level = $2 AND dim = $3`,
      [periods, level, dim],
    )
    return rows
  }

  async tallies(periods: number[], kind: number) {
    const {rows} = await this.pool.query<{cell: number; n: string}>(
      `SELECT cell, SUM(n) AS n FROM tallies WHERE kind = $1 AND period = ANY($2::int[])
       GROUP BY cell HAVING SUM(n) <> 0`,
      [kind, periods],
    )
    return rows.map((r) => ({cell: r.cell, n: Number(r.n)}))
  }

  /** Of the dictionary ids given (values and tally keys a deletion touched), those nothing refers to any more. */
  async unused(client: pg.PoolClient, ids: Iterable<number>): Promise<number[]> {
    const all = [...ids]
    if (all.length === 0) return []
    const {rows} = await client.query<{id: number}>(
      `SELECT u.id FROM unnest($1::int[]) AS u(id)
       WHERE NOT EXISTS (SELECT 1 FROM agg WHERE value = u.id AND level = 0)
         AND NOT EXISTS (SELECT 1 FROM tallies WHERE cell = u.id)`,
      [all],
    )
    const candidates = rows.map((r) => r.id)
    if (candidates.length === 0) return []
    // Raw events not aggregated any more (purged aggregates) may still name one: one scan, rarely.
    const {rows: named} = await client.query<Record<string, null | number>>(
      `SELECT ${DICT_COLUMNS.join(', ')} FROM events WHERE ${DICT_COLUMNS.map((c) => `${c} = ANY($1::int[])`).join(' OR ')}`,
      [candidates],
    )
    const inEvents = new Set<number>()
    for (const row of named) for (const c of DICT_COLUMNS) if (row[c] !== null) inEvents.add(row[c])
    return candidates.filter((id) => !inEvents.has(id))
  }

  /** Rows read, merged and upserted in key order (inside the caller's transaction). */
  private async applyRows(client: pg.PoolClient, changes: RowDelta[], removed?: number): Promise<void> {
    if (changes.length === 0) return
    const keys = columns(
      changes.map((c) => [c.period, c.level, c.dim, c.value]),
      4,
    )
    const {rows} = await client.query<StoredRow>(
      `SELECT a.period, a.level::text AS level, a.dim, a.value, a.events, a.failures, a.histogram, a.instances
       FROM agg a JOIN unnest($1::int[], $2::bigint[], $3::int[], $4::int[]) AS u(period, level, dim, value)
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
        `INSERT INTO agg (period, level, dim, value, events, failures, histogram, instances)
         SELECT * FROM unnest($1::int[], $2::bigint[], $3::int[], $4::int[], $5::int[], $6::int[], $7::bytea[], $8::bytea[])
         ON CONFLICT (period, level, dim, value) DO UPDATE SET events = excluded.events,
           failures = excluded.failures, histogram = excluded.histogram, instances = excluded.instances`,
        columns(put, 8),
      )
    }

    if (gone.length > 0) {
      await client.query(
        `DELETE FROM agg a USING unnest($1::int[], $2::bigint[], $3::int[], $4::int[]) AS u(period, level, dim, value)
         WHERE a.period = u.period AND a.level = u.level AND a.dim = u.dim AND a.value = u.value`,
        columns(gone, 4),
      )
    }
  }
}
