/**
 * The aggregates in PostgreSQL. Several collectors may write at once: counters are read, merged
 * in JavaScript and written back under per-cell advisory locks taken in one sorted order (after the
 * per-instance locks), so concurrent batches never lose an update and never deadlock; the other
 * tables change by additive upserts in sorted order, or belong to one (locked) instance.
 */
import type pg from 'pg'

import type {Dictionary} from './dictionary.js'

import {addTo, type Histogram} from './report/histogram.js'
import {addHistogram, decodeIds, encodeHistogram, encodeIds} from './rollup/codecs.js'
import {type RollupDelta, splitPeriodKey} from './rollup/delta.js'
import {type CounterRow, type RollupReader} from './rollup/query.js'
import {counterKind, tallyKind} from './sqlite-rollups.js'

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

/** Advisory lock class of counter cells (the per-instance locks use the one-bigint form). */
const COUNTER_LOCK_CLASS = 7_316_049

type Triple = [number, number, number]
const byTriple = (a: Triple, b: Triple) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]

function columns<T extends unknown[]>(rows: T[], width: number): unknown[][] {
  const out: unknown[][] = Array.from({length: width}, () => [])
  for (const row of rows) for (let i = 0; i < width; i++) out[i].push(row[i])
  return out
}

/** A string's dictionary id (added before the delta is applied). */
function idIn(dict: Dictionary): (value: string) => number {
  return (value) => dict.idOf(value)!
}

export class PostgresRollups implements RollupReader {
  constructor(
    private readonly pool: pg.Pool,
    private readonly dict: Dictionary,
  ) {}

  async active(first: number, last: number, product: number) {
    const {rows} = await this.pool.query<{events: number; instances: number; period: number}>(
      'SELECT period, instances, events FROM active WHERE period BETWEEN $1 AND $2 AND product = $3',
      [first, last, product],
    )
    return rows
  }

  /** Apply a delta inside the caller's transaction (which holds the instances' advisory locks). */
  async apply(client: pg.PoolClient, delta: RollupDelta): Promise<void> {
    const id = idIn(this.dict)
    await this.applyCounters(client, delta, id)

    const profileKeys: [number, number, Set<string>][] = []
    for (const [instance, byPeriod] of delta.profiles) {
      for (const [period, keys] of byPeriod) profileKeys.push([period, instance, keys])
    }

    if (profileKeys.length > 0) {
      profileKeys.sort((a, b) => a[0] - b[0] || a[1] - b[1])
      const [periods, instances] = columns(profileKeys, 2)
      const {rows} = await client.query<{cells: Buffer; instance: number; period: number}>(
        `SELECT p.period, p.instance, p.cells FROM profiles p
         JOIN unnest($1::int[], $2::int[]) AS u(period, instance) ON p.period = u.period AND p.instance = u.instance`,
        [periods, instances],
      )
      const existing = new Map(rows.map((r) => [`${r.period}:${r.instance}`, r.cells]))
      const blobs = profileKeys.map(([period, instance, keys]) =>
        encodeIds([...decodeIds(existing.get(`${period}:${instance}`) ?? null), ...[...keys].map((k) => id(k))]),
      )
      await client.query(
        `INSERT INTO profiles (period, instance, cells) SELECT * FROM unnest($1::int[], $2::int[], $3::bytea[])
         ON CONFLICT (period, instance) DO UPDATE SET cells = excluded.cells`,
        [periods, instances, blobs],
      )
    }

    // Presence: rows newly inserted count as newly active instances.
    const activeDelta = new Map<string, [number, number, number, number]>()
    const bump = (period: number, product: number, instances: number, events: number) => {
      const key = `${period}:${product}`
      const entry = activeDelta.get(key) ?? [period, product, 0, 0]
      entry[2] += instances
      entry[3] += events
      activeDelta.set(key, entry)
    }

    const presence: Triple[] = []
    for (const [pk, instances] of delta.presence) {
      const [period, product] = splitPeriodKey(pk)
      for (const instance of instances) presence.push([period, product === '' ? 0 : id(product), instance])
    }

    if (presence.length > 0) {
      presence.sort(byTriple)
      const {rows} = await client.query<{period: number; product: number}>(
        `INSERT INTO presence (period, product, instance) SELECT * FROM unnest($1::int[], $2::int[], $3::int[])
         ON CONFLICT DO NOTHING RETURNING period, product`,
        columns(presence, 3),
      )
      for (const r of rows) bump(r.period, r.product, 1, 0)
    }

    for (const [pk, events] of delta.activeEvents) {
      const [period, product] = splitPeriodKey(pk)
      bump(period, product === '' ? 0 : id(product), 0, events)
    }

    await this.addActive(client, [...activeDelta.values()])

    const tallies: [number, number, number, number][] = []
    for (const [pk, n] of delta.tallies) {
      const [period, key] = splitPeriodKey(pk)
      tallies.push([period, tallyKind(key), id(key), n])
    }

    if (tallies.length > 0) {
      tallies.sort((a, b) => byTriple(a as unknown as Triple, b as unknown as Triple))
      const [periods, kinds, cells, ns] = columns(tallies, 4)
      await client.query(
        `INSERT INTO tallies (period, kind, cell, n)
         SELECT * FROM unnest($1::int[], $2::smallint[], $3::int[], $4::int[]) ORDER BY 1, 2, 3
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

  async counters(periods: number[], kind: number): Promise<CounterRow[]> {
    const {rows} = await this.pool.query<CounterRow>(
      'SELECT period, cell, events, failures, histogram FROM counters WHERE kind = $1 AND period = ANY($2::int[])',
      [kind, periods],
    )
    return rows
  }

  async dayBounds(): Promise<[number, number] | undefined> {
    const {rows} = await this.pool.query<{first: null | number; last: null | number}>(
      'SELECT MIN(period) AS first, MAX(period) AS last FROM active WHERE period < 100000 AND product = 0',
    )
    return rows[0].first === null ? undefined : [rows[0].first, rows[0].last!]
  }

  async profiles(periods: number[]) {
    const {rows} = await this.pool.query<{cells: Buffer; instance: number; period: number}>(
      'SELECT period, instance, cells FROM profiles WHERE period = ANY($1::int[])',
      [periods],
    )
    return rows
  }

  /** Take an instance out of the sets (profiles, presence) and of the active counts. */
  async removeInstance(client: pg.PoolClient, instance: number): Promise<void> {
    const {rows} = await client.query<{period: number; product: number}>(
      'DELETE FROM presence WHERE instance = $1 RETURNING period, product',
      [instance],
    )
    await this.addActive(
      client,
      rows.map((r) => [r.period, r.product, -1, 0]),
    )
    await client.query('DELETE FROM profiles WHERE instance = $1', [instance])
    await client.query('DELETE FROM active WHERE instances <= 0 AND events <= 0')
  }

  async tallies(periods: number[], kind: number) {
    const {rows} = await this.pool.query<{cell: number; n: number; period: number}>(
      'SELECT period, cell, n FROM tallies WHERE kind = $1 AND period = ANY($2::int[])',
      [kind, periods],
    )
    return rows
  }

  private async addActive(client: pg.PoolClient, rows: [number, number, number, number][]): Promise<void> {
    if (rows.length === 0) return
    const merged = new Map<string, [number, number, number, number]>()
    for (const [period, product, instances, events] of rows) {
      const key = `${period}:${product}`
      const entry = merged.get(key) ?? [period, product, 0, 0]
      entry[2] += instances
      entry[3] += events
      merged.set(key, entry)
    }

    const sorted = [...merged.values()].sort((a, b) => a[0] - b[0] || a[1] - b[1])
    await client.query(
      `INSERT INTO active (period, product, instances, events)
       SELECT * FROM unnest($1::int[], $2::int[], $3::int[], $4::int[]) ORDER BY 1, 2
       ON CONFLICT (period, product) DO UPDATE
       SET instances = active.instances + excluded.instances, events = active.events + excluded.events`,
      columns(sorted, 4),
    )
    if (sorted.some((r) => r[2] < 0 || r[3] < 0)) {
      await client.query('DELETE FROM active WHERE instances <= 0 AND events <= 0')
    }
  }

  private async applyCounters(client: pg.PoolClient, delta: RollupDelta, id: (value: string) => number): Promise<void> {
    if (delta.counters.size === 0) return
    const changes = [...delta.counters].map(([pk, d]) => {
      const [period, key] = splitPeriodKey(pk)
      return {cell: id(key), d, kind: counterKind(key), period}
    })
    changes.sort((a, b) => a.period - b.period || a.kind - b.kind || a.cell - b.cell)
    // One lock per cell (hashed into 32 bits), taken in one global order.
    const lockIds = [
      ...new Set(
        changes.map((c) =>
          Number(BigInt.asIntN(32, BigInt(c.period) * 1_000_003n + BigInt(c.kind) * 7919n + BigInt(c.cell))),
        ),
      ),
    ].sort((a, b) => a - b)
    await client.query(`SELECT pg_advisory_xact_lock(${COUNTER_LOCK_CLASS}, k) FROM unnest($1::int[]) AS k`, [lockIds])
    const [periods, kinds, cells] = columns(
      changes.map((c) => [c.period, c.kind, c.cell]),
      3,
    )
    const {rows} = await client.query<{
      cell: number
      events: number
      failures: number
      histogram: Buffer | null
      kind: number
      period: number
    }>(
      `SELECT c.period, c.kind, c.cell, c.events, c.failures, c.histogram FROM counters c
       JOIN unnest($1::int[], $2::smallint[], $3::int[]) AS u(period, kind, cell)
         ON c.period = u.period AND c.kind = u.kind AND c.cell = u.cell`,
      [periods, kinds, cells],
    )
    const existing = new Map(rows.map((r) => [`${r.period}:${r.kind}:${r.cell}`, r]))
    const put: [number, number, number, number, number, Buffer | null][] = []
    const gone: Triple[] = []
    for (const c of changes) {
      const row = existing.get(`${c.period}:${c.kind}:${c.cell}`)
      const events = (row?.events ?? 0) + c.d.events
      if (events <= 0) {
        if (row) gone.push([c.period, c.kind, c.cell])
        continue
      }

      const histogram: Histogram = new Map()
      addHistogram(histogram, row?.histogram ?? null)
      for (const [bucket, n] of c.d.histogram) addTo(histogram, bucket, n)
      put.push([
        c.period,
        c.kind,
        c.cell,
        events,
        (row?.failures ?? 0) + c.d.failures,
        histogram.size === 0 ? null : encodeHistogram(histogram),
      ])
    }

    if (put.length > 0) {
      await client.query(
        `INSERT INTO counters (period, kind, cell, events, failures, histogram)
         SELECT * FROM unnest($1::int[], $2::smallint[], $3::int[], $4::int[], $5::int[], $6::bytea[])
         ON CONFLICT (period, kind, cell) DO UPDATE
         SET events = excluded.events, failures = excluded.failures, histogram = excluded.histogram`,
        columns(put, 6),
      )
    }

    if (gone.length > 0) {
      await client.query(
        `DELETE FROM counters c USING unnest($1::int[], $2::smallint[], $3::int[]) AS u(period, kind, cell)
         WHERE c.period = u.period AND c.kind = u.kind AND c.cell = u.cell`,
        columns(gone, 3),
      )
    }
  }
}
