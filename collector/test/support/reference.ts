/**
 * Reports computed in plain TypeScript from the events as received: the reference that the
 * analytics engine's answers must equal (tests only).
 */
import {type Fact, propertyOf} from '../../src/analytics/facts.js'
import {bucketOf, bucketValue} from '../../src/analytics/histogram.js'
import {compareRows, rankNext} from '../../src/analytics/reports.js'
import {dayOf, dayStart, monthOf, periodOf, weekOf} from '../../src/analytics/time.js'
import {
  type ActiveQuery,
  type ActiveRow,
  OTHER,
  type PropertiesQuery,
  type PropertyRow,
  type ReportDimension,
  type ReportFilter,
  type ReportQuery,
  type ReportRow,
  type RetentionQuery,
  type RetentionReport,
  SCALAR_DIMENSIONS,
  type SessionsQuery,
  type SessionsReport,
} from '../../src/analytics/types.js'

/** Bucket key -> count. */
type Histogram = Map<number, number>

function addTo(target: Histogram, key: number, count: number): void {
  target.set(key, (target.get(key) ?? 0) + count)
}

/** Values at the quantiles `qs`: the nearest rank (the ceil(q * n)-th smallest), as the engine reads them. */
function quantiles(histogram: Histogram, qs: readonly number[]): (null | number)[] {
  let total = 0
  for (const count of histogram.values()) total += count
  if (total === 0) return qs.map(() => null)
  const keys = [...histogram.keys()].sort((a, b) => a - b)
  return qs.map((q) => {
    const rank = Math.max(1, Math.ceil(q * total))
    let seen = 0
    for (const key of keys) {
      seen += histogram.get(key)!
      if (seen >= rank) return bucketValue(key)
    }

    return bucketValue(keys.at(-1)!)
  })
}

/** Whether the fact passes the filter (days are inclusive UTC days). */
export function matches(fact: Fact, filter: ReportFilter): boolean {
  for (const dimension of SCALAR_DIMENSIONS) {
    const wanted = filter[dimension]
    if (wanted === undefined) continue
    if (dimension === 'ci' && wanted === 'none') {
      if (fact.ci !== null) return false
    } else if (dimension === 'ci' && wanted === 'any') {
      if (fact.ci === null) return false
    } else if (fact[dimension] !== wanted) return false
  }

  if (filter.version !== undefined && fact.version !== filter.version) return false
  if (filter.flag !== undefined && !fact.flags.includes(filter.flag)) return false
  for (const [name, value] of Object.entries(filter.properties ?? {})) {
    if (propertyOf(fact, name) !== value) return false
  }

  if (filter.from !== undefined && dayOf(fact.ts) < filter.from) return false
  if (filter.to !== undefined && dayOf(fact.ts) > filter.to) return false
  return true
}

/** The keys an event counts under: one for most dimensions, one per flag, none without the property. */
export function keysOf(fact: Fact, by: ReportDimension): (null | string)[] {
  switch (by) {
    case 'day': {
      return [dayOf(fact.ts)]
    }

    case 'flag': {
      return [...fact.flags]
    }

    case 'month': {
      return [monthOf(fact.ts)]
    }

    case 'version': {
      return [`${fact.product}@${fact.version ?? ''}`]
    }

    case 'week': {
      return [weekOf(fact.ts)]
    }

    default: {
      if (by.startsWith('property.')) {
        const value = propertyOf(fact, by.slice('property.'.length))
        return value === undefined ? [] : [value]
      }

      return [fact[by as (typeof SCALAR_DIMENSIONS)[number]]]
    }
  }
}

/** Running totals of one report row. */
export class Cell {
  events = 0
  failures = 0
  readonly histogram: Histogram = new Map()
  readonly instances = new Set<number>()

  add(fact: Fact): void {
    this.events++
    if (fact.outcome === 'failure') this.failures++
    if (fact.duration !== null) addTo(this.histogram, bucketOf(fact.duration), 1)
    this.instances.add(fact.instance)
  }

  merge(cell: Cell): void {
    this.events += cell.events
    this.failures += cell.failures
    for (const [key, count] of cell.histogram) addTo(this.histogram, key, count)
    for (const instance of cell.instances) this.instances.add(instance)
  }

  row(key: null | string): ReportRow {
    const [p50, p90, p99] = quantiles(this.histogram, [0.5, 0.9, 0.99])
    return {
      events: this.events,
      failures: this.failures,
      instances: this.instances.size,
      key,
      p50_ms: p50,
      p90_ms: p90,
      p99_ms: p99,
    }
  }
}

/** GET /report from every event (filtered here), rows of fewer than `minInstances` folded into OTHER. */
export function reportFromFacts(facts: Iterable<Fact>, query: ReportQuery, minInstances = 1): ReportRow[] {
  const cells = new Map<null | string, Cell>()
  for (const fact of facts) {
    if (!matches(fact, query)) continue
    for (const key of keysOf(fact, query.by)) {
      let cell = cells.get(key)
      if (!cell) cells.set(key, (cell = new Cell()))
      cell.add(fact)
    }
  }

  const rows: ReportRow[] = []
  const other = new Cell()
  let folded = false
  for (const [key, cell] of cells) {
    if (cell.instances.size >= minInstances) rows.push(cell.row(key))
    else {
      folded = true
      other.merge(cell)
    }
  }

  if (folded) rows.push(other.row(OTHER))
  return rows.sort(compareRows).slice(0, query.limit)
}

/** GET /report/active: whole periods overlapping the days asked for. */
export function activeFromFacts(facts: Iterable<Fact>, query: ActiveQuery): ActiveRow[] {
  const periods = new Map<string, {events: number; instances: Set<number>}>()
  const {from, to, ...filter} = query
  const first = from === undefined ? undefined : periodOf(query.period, dayStart(from))
  const last = to === undefined ? undefined : periodOf(query.period, dayStart(to))
  for (const fact of facts) {
    if (!matches(fact, filter)) continue
    const period = periodOf(query.period, fact.ts)
    if ((first !== undefined && period < first) || (last !== undefined && period > last)) continue
    let entry = periods.get(period)
    if (!entry) periods.set(period, (entry = {events: 0, instances: new Set()}))
    entry.events++
    entry.instances.add(fact.instance)
  }

  return [...periods]
    .map(([period, e]) => ({events: e.events, instances: e.instances.size, period}))
    .sort((a, b) => (a.period < b.period ? -1 : a.period > b.period ? 1 : 0))
}

/** By event, then the most frequent property first, then by name. */
export function compareProperties(a: PropertyRow, b: PropertyRow): number {
  return byName(a.event, b.event) || b.events - a.events || byName(a.property, b.property)
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

export function propertiesFromFacts(facts: Iterable<Fact>, query: PropertiesQuery): PropertyRow[] {
  const counts = new Map<string, PropertyRow>()
  for (const fact of facts) {
    if (fact.event === 'command' || fact.properties === null || !matches(fact, query)) continue
    for (const property of Object.keys(fact.properties)) {
      const key = JSON.stringify([fact.event, property])
      const row = counts.get(key)
      if (row) row.events++
      else counts.set(key, {event: fact.event, events: 1, property})
    }
  }

  return [...counts.values()].sort(compareProperties).slice(0, query.limit)
}

/** Events of one session in the order they happened. */
function sessionOrder(a: Fact, b: Fact): number {
  if (a.ts !== b.ts) return a.ts - b.ts
  return a.messageId < b.messageId ? -1 : a.messageId > b.messageId ? 1 : 0
}

/**
 * GET /report/sessions from every event: a session counts under the day and product of its first
 * command, a transition under those of the command it starts from.
 */
export function sessionsFromFacts(facts: Iterable<Fact>, query: SessionsQuery): SessionsReport {
  const sessions = new Map<string, Fact[]>()
  for (const fact of facts) {
    if (fact.session === null || fact.event !== 'command') continue
    let list = sessions.get(fact.session)
    if (!list) sessions.set(fact.session, (list = []))
    list.push(fact)
  }

  const wanted = (fact: Fact) => matches(fact, query)
  const lengths = new Map<number, number>()
  let count = 0
  // "command\0outcome" -> next command (or null: the session ended) -> count
  const transitions = new Map<string, Map<null | string, number>>()
  for (const list of sessions.values()) {
    list.sort(sessionOrder)
    if (wanted(list[0])) {
      lengths.set(list.length, (lengths.get(list.length) ?? 0) + 1)
      count++
    }

    for (const [i, fact] of list.entries()) {
      if (!wanted(fact)) continue
      const from = JSON.stringify([fact.command, fact.outcome])
      let next = transitions.get(from)
      if (!next) transitions.set(from, (next = new Map()))
      // A session's end is counted apart from a next command that has no id (null).
      const toKey = i + 1 < list.length ? JSON.stringify(list[i + 1].command) : null
      next.set(toKey, (next.get(toKey) ?? 0) + 1)
    }
  }

  return {
    commands_per_session: [...lengths]
      .map(([commands, n]) => ({commands, sessions: n}))
      .sort((a, b) => a.commands - b.commands),
    next: nextRows(transitions, query.limit),
    sessions: count,
  }
}

function nextRows(transitions: Map<string, Map<null | string, number>>, limit: number): SessionsReport['next'] {
  return rankNext(
    [...transitions].map(([from, next]) => {
      const [command, outcome] = JSON.parse(from) as [null | string, null | string]
      const steps = [...next].map(([to, count]) => ({
        count,
        ended: to === null,
        next: to === null ? null : (JSON.parse(to) as null | string),
      }))
      return {command, outcome, steps, total: steps.reduce((sum, step) => sum + step.count, 0)}
    }),
    limit,
  )
}

/** GET /report/retention: cohorts by first period seen (the filters but the dates), new vs returning. */
export function retentionFromFacts(facts: Iterable<Fact>, query: RetentionQuery): RetentionReport {
  const {from, to, ...filter} = query
  const periodStart = (ts: number) => {
    const day = Math.floor(ts / 86_400_000) * 86_400_000
    if (query.period === 'month') return dayStart(`${dayOf(ts).slice(0, 7)}-01`)
    return day - ((new Date(day).getUTCDay() + 6) % 7) * 86_400_000
  }

  const seen = new Map<number, Set<number>>()
  for (const fact of facts) {
    if (!matches(fact, filter)) continue
    let periods = seen.get(fact.instance)
    if (!periods) seen.set(fact.instance, (periods = new Set()))
    periods.add(periodStart(fact.ts))
  }

  const label = (start: number) => (query.period === 'week' ? weekOf(start) : monthOf(start))
  const shown = (start: number) =>
    (from === undefined || start >= periodStart(dayStart(from))) && (to === undefined || dayOf(start) <= to)
  const cohorts = new Map<number, number[]>()
  const periods = new Map<number, {new: number; returning: number}>()
  const step = (a: number, b: number) =>
    query.period === 'week'
      ? Math.round((b - a) / (7 * 86_400_000))
      : (new Date(b).getUTCFullYear() - new Date(a).getUTCFullYear()) * 12 +
        new Date(b).getUTCMonth() -
        new Date(a).getUTCMonth()
  for (const set of seen.values()) {
    const first = Math.min(...set)
    for (const p of set) {
      if (shown(first)) {
        let list = cohorts.get(first)
        if (!list) cohorts.set(first, (list = []))
        const i = step(first, p)
        list[i] = (list[i] ?? 0) + 1
      }

      if (shown(p)) {
        let entry = periods.get(p)
        if (!entry) periods.set(p, (entry = {new: 0, returning: 0}))
        if (p === first) entry.new++
        else entry.returning++
      }
    }
  }

  return {
    cohorts: [...cohorts]
      .sort(([a], [b]) => a - b)
      .map(([start, list]) => {
        const active = Array.from({length: list.length}, (_, i) => list[i] ?? 0)
        return {active, cohort: label(start), instances: active[0]}
      }),
    periods: [...periods]
      .sort(([a], [b]) => a - b)
      .map(([start, entry]) => ({new: entry.new, period: label(start), returning: entry.returning})),
  }
}
