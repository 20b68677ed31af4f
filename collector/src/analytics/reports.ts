/**
 * Every report as SQL over the engine's tables: one query each (two when small rows are folded),
 * the counting, distinct instances and percentiles done by the engine.
 */
import {listValue} from '@duckdb/node-api'

import {groupingOf, periodLabel, periodStart, type SqlValue, whereOf} from './filters.js'
import {bucketValue} from './histogram.js'
import {DAY_MS, dayStart, weekOf} from './time.js'
import {
  type ActiveQuery,
  type ActiveRow,
  OTHER,
  type PropertiesQuery,
  type PropertyRow,
  type ReportQuery,
  type ReportRow,
  type RetentionQuery,
  type RetentionReport,
  type SessionsQuery,
  type SessionsReport,
} from './types.js'

/** Runs one SELECT with bound values; rows as plain objects (numbers, strings, arrays, null). */
export type Select = (sql: string, values: unknown[]) => Promise<Record<string, unknown>[]>

const TOP_NEXT = 3

/** Most events first; then the key, null last. */
export function compareRows(a: Pick<ReportRow, 'events' | 'key'>, b: Pick<ReportRow, 'events' | 'key'>): number {
  if (a.events !== b.events) return b.events - a.events
  if (a.key === b.key) return 0
  if (a.key === null) return 1
  if (b.key === null) return -1
  return a.key < b.key ? -1 : 1
}

const CELLS = `count(*)::INTEGER AS events, count(DISTINCT instance)::INTEGER AS instances,
  count(*) FILTER (WHERE outcome = 'failure')::INTEGER AS failures,
  quantile_disc(duration, [0.5, 0.9, 0.99]) AS q`

/** A bucket's value, or null. */
function valueOf(bucket: null | number | undefined): null | number {
  return bucket === null || bucket === undefined ? null : bucketValue(bucket)
}

function rowOf(key: null | string, cells: Record<string, unknown>): ReportRow {
  const q = (cells.q as (null | number)[] | null) ?? [null, null, null]
  return {
    events: cells.events as number,
    failures: cells.failures as number,
    instances: cells.instances as number,
    key,
    p50_ms: valueOf(q[0]),
    p90_ms: valueOf(q[1]),
    p99_ms: valueOf(q[2]),
  }
}

/**
 * GET /report. Rows backed by fewer than `minInstances` distinct instances are folded into one
 * OTHER row (its instances counted once across them), so that no rare value singles anyone out.
 */
export async function report(select: Select, query: ReportQuery, minInstances: number): Promise<ReportRow[]> {
  const values: SqlValue[] = []
  const {join, key, label} = groupingOf(query.by, values)
  const where = whereOf(query, values)
  const base = `SELECT ${key} AS k, e.instance, e.outcome, e.duration FROM events e ${join} WHERE ${where}`
  const grouped = await select(`SELECT ${label('k')} AS key, ${CELLS} FROM (${base}) GROUP BY k`, values)
  const shown: ReportRow[] = []
  const folded: (null | string)[] = []
  for (const cells of grouped) {
    const rowKey = cells.key as null | string
    // Values past a day's bound are OTHER already (bound.ts): one row holds them and the small ones.
    if ((cells.instances as number) >= minInstances && rowKey !== OTHER) shown.push(rowOf(rowKey, cells))
    else folded.push(rowKey)
  }

  if (folded.length > 0) {
    const nullFolded = folded.includes(null)
    const keys = folded.filter((k): k is string => k !== null)
    const [other] = await select(
      `SELECT ${CELLS} FROM (${base}) WHERE list_contains(?, ${label('k')})${nullFolded ? ' OR k IS NULL' : ''}`,
      [...values, listValue(keys)],
    )
    shown.push(rowOf(OTHER, other))
  }

  return shown.sort(compareRows).slice(0, query.limit)
}

/** GET /report/active: whole periods overlapping the days asked for, oldest first. */
export async function active(select: Select, query: ActiveQuery): Promise<ActiveRow[]> {
  const values: SqlValue[] = []
  // Whole periods: the dates widen to the periods that hold them.
  const {from, to, ...rest} = query
  const where = whereOf(rest, values)
  const bounds: string[] = []
  const first = () => (query.period === 'day' ? '?::DATE' : `date_trunc('${query.period}', ?::DATE)`)
  if (from !== undefined) {
    bounds.push(`p >= ${first()}`)
    values.push(from)
  }

  if (to !== undefined) {
    bounds.push(`p <= ${first()}`)
    values.push(to)
  }

  const rows = await select(
    `SELECT ${periodLabel(query.period, 'p')} AS period, count(DISTINCT instance)::INTEGER AS instances,
       count(*)::INTEGER AS events
     FROM (SELECT ${periodStart(query.period)} AS p, e.instance FROM events e WHERE ${where})
     ${bounds.length > 0 ? `WHERE ${bounds.join(' AND ')}` : ''}
     GROUP BY p ORDER BY p`,
    values,
  )
  return rows.map((r) => ({events: r.events as number, instances: r.instances as number, period: r.period as string}))
}

/** GET /report/properties: the property names each custom event carried, with the filters. */
export async function properties(select: Select, query: PropertiesQuery): Promise<PropertyRow[]> {
  const values: SqlValue[] = []
  const where = whereOf(query, values)
  const rows = await select(
    `SELECT e.event, p.name AS property, count(*)::INTEGER AS events
     FROM events e JOIN properties p ON p.id = e.id
     WHERE e.event <> 'command' AND ${where}
     GROUP BY ALL ORDER BY e.event, events DESC, property LIMIT ${query.limit}`,
    values,
  )
  return rows.map((r) => ({event: r.event as string, events: r.events as number, property: r.property as string}))
}

/**
 * GET /report/sessions. A session counts under its first command (which the filters must match);
 * a transition under the command it starts from.
 */
export async function sessions(select: Select, query: SessionsQuery): Promise<SessionsReport> {
  const values: SqlValue[] = []
  const wanted = whereOf(query, values)
  const filtered = wanted !== 'TRUE'
  // The command events of the sessions any wanted command belongs to, in order, with only what the
  // counts need (the window sorts them all): computed once for both answers.
  const rows = await select(
    `WITH steps AS MATERIALIZED (
       SELECT e.command, e.outcome, ${filtered ? `(${wanted})` : 'TRUE'} AS wanted,
         row_number() OVER w AS n, count(*) OVER (PARTITION BY e.session) AS len, lead(e.command) OVER w AS next
       FROM events e
       ${filtered ? `SEMI JOIN (SELECT DISTINCT e.session FROM events e WHERE e.event = 'command' AND ${wanted}) c ON c.session = e.session` : ''}
       WHERE e.event = 'command' AND e.session IS NOT NULL
       WINDOW w AS (PARTITION BY e.session ORDER BY e.ts, e.message_id)
     )
     SELECT 'length' AS kind, NULL AS command, NULL AS outcome, NULL AS ended, NULL AS next, len::INTEGER AS commands,
       count(*)::INTEGER AS count
     FROM steps WHERE n = 1 AND wanted GROUP BY len
     UNION ALL
     SELECT 'step', command, outcome, n = len, CASE WHEN n < len THEN next END, NULL, count(*)::INTEGER
     FROM steps WHERE wanted GROUP BY ALL`,
    filtered ? [...values, ...values] : [],
  )
  const lengths = rows
    .filter((r) => r.kind === 'length')
    .map((r) => ({commands: r.commands as number, sessions: r.count as number}))
    .sort((x, y) => x.commands - y.commands)
  const transitions = rows.filter((r) => r.kind === 'step')
  const groups = new Map<string, StepGroup>()
  for (const t of transitions) {
    const id = JSON.stringify([t.command, t.outcome])
    let group = groups.get(id)
    if (!group) {
      groups.set(
        id,
        (group = {command: t.command as null | string, outcome: t.outcome as null | string, steps: [], total: 0}),
      )
    }

    group.steps.push({count: t.count as number, ended: t.ended as boolean, next: t.next as null | string})
    group.total += t.count as number
  }

  return {
    commands_per_session: lengths,
    next: rankNext([...groups.values()], query.limit),
    sessions: lengths.reduce((sum, r) => sum + r.sessions, 0),
  }
}

/** What follows one (command, outcome) pair: its steps (a next command, or the session's end). */
export interface StepGroup {
  command: null | string
  outcome: null | string
  steps: {count: number; ended: boolean; next: null | string}[]
  total: number
}

/** Keys in order, null last. */
function byKey(a: null | string, b: null | string): number {
  return a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1
}

/** The `limit` most frequent pairs, each with its TOP_NEXT most frequent steps. */
export function rankNext(groups: StepGroup[], limit: number): SessionsReport['next'] {
  const live = groups.filter((g) => g.total > 0)
  live.sort((a, b) => b.total - a.total || byKey(a.command, b.command) || byKey(a.outcome, b.outcome))
  return live.slice(0, limit).flatMap((group) =>
    group.steps
      .filter((step) => step.count > 0)
      .sort((a, b) => b.count - a.count || Number(a.ended) - Number(b.ended) || byKey(a.next, b.next))
      .slice(0, TOP_NEXT)
      .map((step) => ({
        command: group.command,
        count: step.count,
        ended: step.ended,
        next: step.next,
        outcome: group.outcome,
        total: group.total,
      })),
  )
}

/**
 * GET /report/retention: each instance's cohort is the period it was first seen in (with the
 * filters but the dates, so a date range does not make old users new); the dates choose the
 * cohorts and periods shown.
 */
export async function retention(select: Select, query: RetentionQuery): Promise<RetentionReport> {
  const values: SqlValue[] = []
  const {from, to, ...rest} = query
  const where = whereOf(rest, values)
  const unit = query.period
  const rows = await select(
    `WITH seen AS (
       SELECT DISTINCT e.instance, date_trunc('${unit}', e.day)::DATE AS p FROM events e WHERE ${where}
     ), first AS (SELECT instance, min(p) AS cohort FROM seen GROUP BY instance)
     SELECT strftime(f.cohort, '%Y-%m-%d') AS cohort, strftime(s.p, '%Y-%m-%d') AS p,
       datediff('${unit}', f.cohort, s.p)::INTEGER AS step, count(*)::INTEGER AS instances
     FROM seen s JOIN first f USING (instance) GROUP BY ALL ORDER BY cohort, step`,
    values,
  )
  const inRange = (day: string) =>
    (from === undefined || dayStart(day) >= startOf(unit, from)) && (to === undefined || day <= to)
  const cohorts = new Map<string, number[]>()
  const periods = new Map<string, {new: number; returning: number}>()
  for (const r of rows) {
    const cohort = r.cohort as string
    const period = r.p as string
    const count = r.instances as number
    if (inRange(cohort)) {
      let list = cohorts.get(cohort)
      if (!list) cohorts.set(cohort, (list = []))
      list[r.step as number] = count
    }

    if (inRange(period)) {
      let entry = periods.get(period)
      if (!entry) periods.set(period, (entry = {new: 0, returning: 0}))
      if (r.step === 0) entry.new += count
      else entry.returning += count
    }
  }

  const label = (day: string) => (unit === 'week' ? weekOf(dayStart(day)) : day.slice(0, 7))
  return {
    cohorts: [...cohorts].map(([cohort, list]) => {
      const filled = Array.from({length: list.length}, (_, i) => list[i] ?? 0)
      return {active: filled, cohort: label(cohort), instances: filled[0]}
    }),
    periods: [...periods]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([period, entry]) => ({new: entry.new, period: label(period), returning: entry.returning})),
  }
}

/** The first day (ms) of the week (Monday) or month holding `day`. */
function startOf(unit: 'month' | 'week', day: string): number {
  const ms = dayStart(day)
  if (unit === 'month') return dayStart(`${day.slice(0, 7)}-01`)
  const weekday = (new Date(ms).getUTCDay() + 6) % 7
  return ms - weekday * DAY_MS
}
