/**
 * Report arithmetic shared by both stores, so that SQLite and PostgreSQL answer identically:
 * the stores hand over events (or pre-aggregated cells) and this module counts, merges and sorts.
 */
import type {Fact} from './facts.js'

import {keysOf} from './facts.js'
import {addTo, bucketOf, type Histogram, quantiles} from './histogram.js'
import {dayOf, dayStart, periodOf} from './time.js'
import {
  type ActiveQuery,
  type ActiveRow,
  type PropertiesQuery,
  type PropertyRow,
  type ReportQuery,
  type ReportRow,
  type SessionsQuery,
  type SessionsReport,
} from './types.js'

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

/** Most events first; then the key, null last. */
export function compareRows(a: Pick<ReportRow, 'events' | 'key'>, b: Pick<ReportRow, 'events' | 'key'>): number {
  if (a.events !== b.events) return b.events - a.events
  if (a.key === b.key) return 0
  if (a.key === null) return 1
  if (b.key === null) return -1
  return a.key < b.key ? -1 : 1
}

/** GET /report from events already filtered by `query`. */
export function reportFromFacts(facts: Iterable<Fact>, query: ReportQuery): ReportRow[] {
  const cells = new Map<null | string, Cell>()
  for (const fact of facts) {
    for (const key of keysOf(fact, query.by)) {
      let cell = cells.get(key)
      if (!cell) cells.set(key, (cell = new Cell()))
      cell.add(fact)
    }
  }

  return [...cells]
    .map(([key, cell]) => cell.row(key))
    .sort(compareRows)
    .slice(0, query.limit)
}

/** GET /report/active: whole periods overlapping the days asked for (events filtered by product only). */
export function activeFromFacts(facts: Iterable<Fact>, query: ActiveQuery): ActiveRow[] {
  const periods = new Map<string, {events: number; instances: Set<number>}>()
  const first = query.from === undefined ? undefined : periodOf(query.period, dayStart(query.from))
  const last = query.to === undefined ? undefined : periodOf(query.period, dayStart(query.to))
  for (const fact of facts) {
    if (query.product !== undefined && fact.product !== query.product) continue
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
    if (fact.event === 'command' || fact.properties === null) continue
    if (query.event !== undefined && fact.event !== query.event) continue
    const day = dayOf(fact.ts)
    if ((query.from !== undefined && day < query.from) || (query.to !== undefined && day > query.to)) continue
    for (const property of Object.keys(fact.properties)) {
      const key = JSON.stringify([fact.event, property])
      const row = counts.get(key)
      if (row) row.events++
      else counts.set(key, {event: fact.event, events: 1, property})
    }
  }

  return [...counts.values()].sort(compareProperties)
}

/** Events of one session in the order they happened. */
export function sessionOrder(a: Fact, b: Fact): number {
  if (a.ts !== b.ts) return a.ts - b.ts
  return a.messageId < b.messageId ? -1 : a.messageId > b.messageId ? 1 : 0
}

const TOP_NEXT = 3

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

  const wanted = (fact: Fact) =>
    (query.product === undefined || fact.product === query.product) &&
    (query.from === undefined || dayOf(fact.ts) >= query.from) &&
    (query.to === undefined || dayOf(fact.ts) <= query.to)
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

/** Keys in order, null last. */
function byKey(a: null | string, b: null | string): number {
  return a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1
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

/** What follows one (command, outcome) pair: its steps (a next command, or the session's end). */
export interface StepGroup {
  command: null | string
  outcome: null | string
  steps: {count: number; ended: boolean; next: null | string}[]
  total: number
}

/**
 * The `limit` most frequent pairs, each with its TOP_NEXT most frequent steps: the one ranking of
 * /report/sessions, for the raw events and the aggregates alike.
 */
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
