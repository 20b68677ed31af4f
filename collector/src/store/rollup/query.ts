/**
 * Reports from the aggregates, the same code for both stores: the stores read the rows of one
 * (level, dim) in the periods covering the date range; this module sums counters, merges
 * histograms and ORs the rows' instance sets (exact distinct counts). A query whose filters name
 * more than one level (product and command, say) is answered from the raw events instead.
 */
import type {Dictionary} from '../dictionary.js'
import type {Fact} from '../report/facts.js'

import {compareProperties, compareRows, rankNext, reportFromFacts, type StepGroup} from '../report/aggregate.js'
import {matches} from '../report/facts.js'
import {type Histogram, quantiles} from '../report/histogram.js'
import {DAY_MS, dayStart, monthOf, weekOf} from '../report/time.js'
import {
  type ActiveQuery,
  type ActiveRow,
  type PropertiesQuery,
  type PropertyRow,
  type ReportFilter,
  type ReportQuery,
  type ReportRow,
  type SessionsQuery,
  type SessionsReport,
} from '../report/types.js'
import {capRawFacts} from './cap.js'
import {addHistogram} from './codecs.js'
import {setSize, Union} from './instance-set.js'
import {cover, dayNumber, daysOf, kindOf, labelOf, periodOfDay} from './periods.js'
import {LEVEL_KIND, levelOf, PROPERTY_PREFIX, propertyDim, TOTAL_DIM} from './rows.js'
import {TALLY_KIND} from './tallies.js'
import {forEachSum} from './tally-sets.js'

export interface AggRow {
  events: number
  failures: number
  histogram: null | Uint8Array
  instances: null | Uint8Array
  period: number
  value: number
}

/** A value's events and failures summed over periods. */
export interface ValueTotal {
  events: number
  failures: number
  value: number
}

export interface RollupReader {
  /** The day through which weeks and months have rows (see periods.ts); -Infinity when none. */
  closedThrough(): Promise<number>
  /** First and last day number with events, if any. */
  dayBounds(totalDim: number): Promise<[number, number] | undefined>
  /** Events per dimension at one level in the periods (dimensions with events only). */
  dims(periods: number[], level: number): Promise<{dim: number; events: number}[]>
  /** The values each day keeps of a property dimension (see cap.ts). */
  kept(days: number[], dim: number): Promise<{period: number; value: number}[]>
  /** Events passing the filter (or a superset of them), as report facts: the raw path. */
  rawFacts(filter: ReportFilter): Promise<Fact[]>
  /** Rows of one level and dimension in the periods (of some values only, when given). */
  rows(periods: number[], level: number, dim: number, values?: number[]): Promise<AggRow[]>
  /** The packed tallies of one kind in the periods (see tally-sets.ts), one set per period. */
  tallySets(periods: number[], kind: number): Promise<Uint8Array[]>
  /** Events and failures per value of one level and dimension over the periods (values with events). */
  totals(periods: number[], level: number, dim: number): Promise<ValueTotal[]>
}

const FILTERS = ['product', 'version', 'event', 'command', 'outcome'] as const

/**
 * The level answering a filter: 0 (none), one product, one release (product and version), one
 * event, command or outcome; 'raw' for other combinations; undefined when a value is unknown
 * (no event has it).
 */
export function levelFor(filter: ReportFilter, dict: Dictionary): 'raw' | number | undefined {
  const named = FILTERS.filter((f) => filter[f] !== undefined)
  for (const f of named) if (dict.idOf(filter[f]!) === undefined) return undefined
  if (named.length === 0) return 0
  const id = (value: string) => dict.idOf(value)
  if (named.length === 2 && named[0] === 'product' && named[1] === 'version') {
    const release = id(`${filter.product}@${filter.version}`)
    return release === undefined ? undefined : levelOf('version', release)
  }

  if (named.length !== 1 || named[0] === 'version') return 'raw'
  const kind = named[0] as keyof typeof LEVEL_KIND
  return levelOf(kind, id(filter[kind]!)!)
}

export class RollupQueries {
  /** Session steps as dense numbers, kept across reports (dictionary ids never change). */
  private readonly fromIds = new Map<string, number>()
  private readonly froms: Pick<StepGroup, 'command' | 'outcome'>[] = []
  private readonly pairIds = new Map<string, number>()
  private readonly pairs: {ended: boolean; from: number; next: null | string}[] = []
  private readonly parsed = new Map<number, unknown[]>()
  private readonly steps = new Map<number, Step>()

  constructor(
    private readonly reader: RollupReader,
    private readonly dict: Dictionary,
  ) {}

  async active(query: ActiveQuery): Promise<ActiveRow[]> {
    const total = this.dict.idOf(TOTAL_DIM)
    let level = 0
    if (query.product !== undefined) {
      const id = this.dict.idOf(query.product)
      if (id === undefined) return []
      level = levelOf('product', id)
    }

    if (total === undefined) return []
    const bounds = await this.reader.dayBounds(total)
    if (!bounds) return []
    // Whole periods from the one holding `from` to the one holding `to`: closed ones read as they
    // are, open ones from their days. Only those with events: a range of centuries costs no more.
    const [dataFirst, dataLast] = bounds.map((day) => daysOf(periodOfDay(query.period, labelOf(day))))
    const first = Math.max(dataFirst[0], daysOf(periodOfDay(query.period, query.from ?? labelOf(bounds[0])))[0])
    const last = Math.min(dataLast[1], daysOf(periodOfDay(query.period, query.to ?? labelOf(bounds[1])))[1])
    if (first > last) return []
    const kinds = {months: query.period === 'month', weeks: query.period === 'week'}
    const periods = cover(first, last, kinds, await this.reader.closedThrough())
    const groups = new Map<string, {events: number; sets: Uint8Array[]}>()
    for (const r of await this.reader.rows(periods, level, total)) {
      if (r.events <= 0) continue
      const label = timeLabel(query.period, r.period)
      let group = groups.get(label)
      if (!group) groups.set(label, (group = {events: 0, sets: []}))
      group.events += r.events
      if (r.instances !== null) group.sets.push(r.instances)
    }

    return [...groups]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([period, group]) => ({events: group.events, instances: instancesOf(group.sets), period}))
  }

  /**
   * The custom property names of each event (of one, or of every event but `command`) in the date
   * range, read from the event levels' dimensions: the dashboard lists them without being told.
   */
  async properties(query: PropertiesQuery): Promise<PropertyRow[]> {
    const periods = await this.periods(query, {months: true, weeks: true})
    const eventDim = this.dict.idOf('event')
    if (periods.length === 0 || eventDim === undefined) return []
    const names =
      query.event === undefined
        ? (await this.reader.rows(periods, 0, eventDim)).map((r) => this.dict.decode(r.value) as string)
        : [query.event]
    const perEvent = await Promise.all(
      [...new Set(names)].map(async (event): Promise<PropertyRow[]> => {
        const id = this.dict.idOf(event)
        if (event === 'command' || id === undefined) return []
        const dims = await this.reader.dims(periods, levelOf('event', id))
        return dims.flatMap(({dim, events}) => {
          const name = this.dict.decode(dim)
          return events > 0 && name?.startsWith(PROPERTY_PREFIX)
            ? [{event, events, property: name.slice(PROPERTY_PREFIX.length)}]
            : []
        })
      }),
    )
    return perEvent.flat().sort(compareProperties)
  }

  async report(query: ReportQuery): Promise<ReportRow[]> {
    const level = levelFor(query, this.dict)
    if (level === undefined) return []
    const {by} = query
    if (level === 'raw') {
      const facts = (await this.reader.rawFacts(query)).filter((f) => matches(f, query))
      const property = by.startsWith(PROPERTY_PREFIX) ? by.slice(PROPERTY_PREFIX.length) : undefined
      return reportFromFacts(property === undefined ? facts : await this.capped(facts, property), query)
    }

    const time = by === 'day' || by === 'week' || by === 'month'
    const dimName = time
      ? TOTAL_DIM
      : by.startsWith(PROPERTY_PREFIX)
        ? propertyDim(by.slice(PROPERTY_PREFIX.length))
        : by
    const dim = this.dict.idOf(dimName)
    if (dim === undefined) return []
    const periods = await this.periods(query, {
      months: by !== 'day' && by !== 'week',
      weeks: by !== 'day' && by !== 'month',
    })
    if (periods.length === 0) return []
    // Ranked on counts summed by the database first: only the rows shown are read whole and merge
    // their histograms and instance sets (a property has thousands of values, each a row per period).
    let ranked: (Pick<ReportRow, 'events' | 'failures' | 'key'> & {rows: AggRow[]})[]
    if (time) {
      const groups = new Map<string, {events: number; failures: number; key: string; rows: AggRow[]}>()
      for (const r of await this.reader.rows(periods, level, dim)) {
        if (r.events <= 0) continue
        const key = timeLabel(by as 'day' | 'month' | 'week', r.period)
        let group = groups.get(key)
        if (!group) groups.set(key, (group = {events: 0, failures: 0, key, rows: []}))
        group.events += r.events
        group.failures += r.failures
        group.rows.push(r)
      }

      ranked = [...groups.values()].sort(compareRows).slice(0, query.limit)
    } else {
      const totals = await this.reader.totals(periods, level, dim)
      const top = totals
        .map((t) => ({...t, key: this.dict.decode(t.value) as null | string, rows: [] as AggRow[]}))
        .sort(compareRows)
        .slice(0, query.limit)
      const byValue = new Map(top.map((t) => [t.value, t]))
      const values = top.length === totals.length ? undefined : top.map((t) => t.value)
      for (const r of await this.reader.rows(periods, level, dim, values)) byValue.get(r.value)?.rows.push(r)
      ranked = top
    }

    return ranked.map(({events, failures, key, rows}) => {
      const histogram: Histogram = new Map()
      const sets: Uint8Array[] = []
      for (const r of rows) {
        addHistogram(histogram, r.histogram)
        if (r.instances !== null) sets.push(r.instances)
      }

      const [p50, p90, p99] = quantiles(histogram, [0.5, 0.9, 0.99])
      return {events, failures, instances: instancesOf(sets), key, p50_ms: p50, p90_ms: p90, p99_ms: p99}
    })
  }

  async sessions(query: SessionsQuery): Promise<SessionsReport> {
    const empty: SessionsReport = {commands_per_session: [], next: [], sessions: 0}
    const periods = await this.periods(query, {months: true, weeks: true})
    if (periods.length === 0) return empty
    const lengths = new Map<number, number>()
    let sessions = 0
    forEachSum(await this.reader.tallySets(periods, TALLY_KIND.l), (cell, n) => {
      const key = this.cell(cell) as ['l', string, number]
      if (query.product !== undefined && key[1] !== query.product) return
      lengths.set(key[2], (lengths.get(key[2]) ?? 0) + n)
      sessions += n
    })
    // Tens of thousands of transition cells: summed per (from, to) pair by number, grouped after.
    const pairSums: number[] = []
    forEachSum(await this.reader.tallySets(periods, TALLY_KIND.t), (cell, n) => {
      const step = this.step(cell)
      if (query.product === undefined || step.product === query.product) {
        pairSums[step.pair] = (pairSums[step.pair] ?? 0) + n
      }
    })
    const groups = new Map<number, StepGroup>()
    for (const [pair, count] of pairSums.entries()) {
      if (!count) continue
      const {ended, from, next} = this.pairs[pair]
      let group = groups.get(from)
      if (!group) groups.set(from, (group = {...this.froms[from], steps: [], total: 0}))
      group.steps.push({count, ended, next})
      group.total += count
    }

    return {
      commands_per_session: [...lengths]
        .filter(([, n]) => n > 0)
        .map(([commands, n]) => ({commands, sessions: n}))
        .sort((a, b) => a.commands - b.commands),
      next: rankNext([...groups.values()], query.limit),
      sessions,
    }
  }

  /** Raw events with one property capped as the aggregates are (see cap.ts). */
  private async capped(facts: Fact[], property: string): Promise<Fact[]> {
    const dim = this.dict.idOf(propertyDim(property))
    if (dim === undefined) return facts
    const kept = new Map<number, Set<string>>()
    const days = [...new Set(facts.map((f) => dayNumber(f.ts)))]
    for (const {period, value} of days.length === 0 ? [] : await this.reader.kept(days, dim)) {
      let values = kept.get(period)
      if (!values) kept.set(period, (values = new Set()))
      values.add(this.dict.decode(value) as string)
    }

    return capRawFacts(facts, property, (day) => kept.get(day))
  }

  /** The parsed key of a tally. */
  private cell(id: number): unknown[] {
    let key = this.parsed.get(id)
    if (!key) {
      key = JSON.parse(this.dict.decode(id) as string) as unknown[]
      this.parsed.set(id, key)
    }

    return key
  }

  /** Periods covering the query's days (all stored days when open-ended). */
  private async periods(filter: ReportFilter, kinds: {months: boolean; weeks: boolean}): Promise<number[]> {
    const total = this.dict.idOf(TOTAL_DIM)
    if (total === undefined) return []
    const bounds = await this.reader.dayBounds(total)
    if (!bounds) return []
    const first = filter.from === undefined ? bounds[0] : Math.max(bounds[0], dayNumber(dayStart(filter.from)))
    const last = filter.to === undefined ? bounds[1] : Math.min(bounds[1], dayNumber(dayStart(filter.to)))
    return first > last ? [] : cover(first, last, kinds, await this.reader.closedThrough())
  }

  /** A transition tally's product and (from, to) pair, numbered (cached: a report reads thousands). */
  private step(id: number): Step {
    let step = this.steps.get(id)
    if (!step) {
      const [, product, command, outcome, next, ended] = this.cell(id) as [
        't',
        string,
        null | string,
        null | string,
        null | string,
        number,
      ]
      const fromKey = JSON.stringify([command, outcome])
      let from = this.fromIds.get(fromKey)
      if (from === undefined) {
        this.fromIds.set(fromKey, (from = this.froms.length))
        this.froms.push({command, outcome})
      }

      const pairKey = JSON.stringify([command, outcome, next, ended])
      let pair = this.pairIds.get(pairKey)
      if (pair === undefined) {
        this.pairIds.set(pairKey, (pair = this.pairs.length))
        this.pairs.push({ended: ended === 1, from, next})
      }

      step = {pair, product}
      this.steps.set(id, step)
    }

    return step
  }
}

/** Distinct instances of a key: one row's set counted as is, several ORed. */
function instancesOf(sets: Uint8Array[]): number {
  if (sets.length === 1) return setSize(sets[0])
  const union = new Union()
  for (const set of sets) union.add(set)
  return union.size()
}

/** The label of a period in a by=day|week|month report (days stand in for the rest of their week or month). */
function timeLabel(by: 'day' | 'month' | 'week', period: number): string {
  if (by === 'day' || kindOf(period) !== 'day') return labelOf(period)
  return by === 'week' ? weekOf(period * DAY_MS) : monthOf(period * DAY_MS)
}

/** A transition tally's product and the (from, to) pair it counts, numbered. */
interface Step {
  pair: number
  product: string
}
