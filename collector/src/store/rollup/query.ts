/**
 * Reports from the aggregates, the same code for both stores: the stores read rows of the periods
 * covering the date range; this module filters cells, sums counters, merges histograms and unions
 * the instances of the profiles (exact distinct counts).
 */
import type {Dictionary} from '../dictionary.js'

import {compareRows} from '../report/aggregate.js'
import {type Histogram, quantiles} from '../report/histogram.js'
import {DAY_MS, dayStart, monthOf, weekOf} from '../report/time.js'
import {
  type ActiveQuery,
  type ActiveRow,
  type ReportFilter,
  type ReportQuery,
  type ReportRow,
  type SessionsQuery,
  type SessionsReport,
} from '../report/types.js'
import {type CellKey, FILTER_INDEX, MAIN_INDEX} from './cells.js'
import {addHistogram, decodeIds} from './codecs.js'
import {cover, dayNumber, kindOf, labelOf, periodOfDay} from './periods.js'

export const COUNTER_KIND = {f: 1, m: 0, p: 2} as const
export const TALLY_KIND = {l: 0, t: 1} as const

export interface CounterRow {
  cell: number
  events: number
  failures: number
  histogram: null | Uint8Array
  period: number
}

export interface RollupReader {
  /** Rows of `active` for periods first..last (inclusive) and a product id (0: every product). */
  active(first: number, last: number, product: number): Promise<{events: number; instances: number; period: number}[]>
  counters(periods: number[], kind: number): Promise<CounterRow[]>
  /** First and last day number with events, if any. */
  dayBounds(): Promise<[number, number] | undefined>
  profiles(periods: number[]): Promise<{cells: Uint8Array; instance: number; period: number}[]>
  tallies(periods: number[], kind: number): Promise<{cell: number; n: number; period: number}[]>
}

const FILTERS = Object.keys(FILTER_INDEX) as (keyof typeof FILTER_INDEX)[]

export class RollupQueries {
  private readonly parsed = new Map<number, CellKey>()

  constructor(
    private readonly reader: RollupReader,
    private readonly dict: Dictionary,
  ) {}

  async active(query: ActiveQuery): Promise<ActiveRow[]> {
    let product = 0
    if (query.product !== undefined) {
      const id = this.dict.idOf(query.product)
      if (id === undefined) return []
      product = id
    }

    const bounds = await this.reader.dayBounds()
    if (!bounds) return []
    const from = query.from ?? labelOf(bounds[0])
    const to = query.to ?? labelOf(bounds[1])
    const rows = await this.reader.active(periodOfDay(query.period, from), periodOfDay(query.period, to), product)
    return rows
      .filter((r) => kindOf(r.period) === query.period && (r.events > 0 || r.instances > 0))
      .sort((a, b) => a.period - b.period)
      .map((r) => ({events: r.events, instances: r.instances, period: labelOf(r.period)}))
  }

  async report(query: ReportQuery): Promise<ReportRow[]> {
    const periods = await this.periods(query, {
      months: query.by !== 'day' && query.by !== 'week',
      weeks: query.by !== 'day' && query.by !== 'month',
    })
    if (periods.length === 0) return []
    const kind = query.by === 'flag' ? 'f' : query.by.startsWith('property.') ? 'p' : 'm'
    const counters = await this.reader.counters(periods, COUNTER_KIND[kind])
    const profiles = await this.reader.profiles(periods)
    const keyOf = this.keyFunction(query, kind)
    const rows = new Map<
      null | string,
      {events: number; failures: number; histogram: Histogram; instances: Set<number>}
    >()
    const rowFor = (key: null | string) => {
      let row = rows.get(key)
      if (!row) rows.set(key, (row = {events: 0, failures: 0, histogram: new Map(), instances: new Set()}))
      return row
    }

    for (const c of counters) {
      const key = keyOf(c.cell, c.period)
      if (key === undefined || c.events === 0) continue
      const row = rowFor(key)
      row.events += c.events
      row.failures += c.failures
      addHistogram(row.histogram, c.histogram)
    }

    for (const p of profiles) {
      for (const cell of decodeIds(p.cells)) {
        const key = keyOf(cell, p.period)
        if (key !== undefined) rows.get(key)?.instances.add(p.instance)
      }
    }

    const out: ReportRow[] = []
    for (const [key, row] of rows) {
      if (row.events <= 0) continue
      const [p50, p90, p99] = quantiles(row.histogram, [0.5, 0.9, 0.99])
      out.push({
        events: row.events,
        failures: row.failures,
        instances: row.instances.size,
        key,
        p50_ms: p50,
        p90_ms: p90,
        p99_ms: p99,
      })
    }

    return out.sort(compareRows).slice(0, query.limit)
  }

  async sessions(query: SessionsQuery): Promise<SessionsReport> {
    const empty: SessionsReport = {commands_per_session: [], next: [], sessions: 0}
    const periods = await this.periods(query, {months: true, weeks: true})
    if (periods.length === 0) return empty
    const [lengthRows, transitionRows] = [
      await this.reader.tallies(periods, TALLY_KIND.l),
      await this.reader.tallies(periods, TALLY_KIND.t),
    ]
    const lengths = new Map<number, number>()
    let sessions = 0
    for (const r of lengthRows) {
      const key = this.cell(r.cell) as unknown as ['l', string, number]
      if (query.product !== undefined && key[1] !== query.product) continue
      lengths.set(key[2], (lengths.get(key[2]) ?? 0) + r.n)
      sessions += r.n
    }

    const groups = new Map<
      string,
      {command: null | string; next: Map<string, number>; outcome: null | string; total: number}
    >()
    for (const r of transitionRows) {
      const key = this.cell(r.cell) as unknown as ['t', string, null | string, null | string, null | string, number]
      if (query.product !== undefined && key[1] !== query.product) continue
      const from = JSON.stringify([key[2], key[3]])
      let group = groups.get(from)
      if (!group) groups.set(from, (group = {command: key[2], next: new Map(), outcome: key[3], total: 0}))
      const to = JSON.stringify([key[4], key[5]])
      group.next.set(to, (group.next.get(to) ?? 0) + r.n)
      group.total += r.n
    }

    return {
      commands_per_session: [...lengths]
        .filter(([, n]) => n > 0)
        .map(([commands, n]) => ({commands, sessions: n}))
        .sort((a, b) => a.commands - b.commands),
      next: nextRows([...groups.values()], query.limit),
      sessions,
    }
  }

  /** The parsed key of a cell id. */
  private cell(id: number): CellKey {
    let key = this.parsed.get(id)
    if (!key) {
      key = JSON.parse(this.dict.decode(id) as string) as CellKey
      this.parsed.set(id, key)
    }

    return key
  }

  /** Cell id and period -> row key, or undefined when the cell is not part of the report. */
  private keyFunction(
    query: ReportQuery,
    kind: 'f' | 'm' | 'p',
  ): (cell: number, period: number) => null | string | undefined {
    const cache = new Map<number, null | string | undefined>()
    const labels = new Map<number, string>()
    const filter = (key: CellKey) => FILTERS.every((f) => query[f] === undefined || key[FILTER_INDEX[f]] === query[f])
    const {by} = query
    const property = by.startsWith('property.') ? by.slice('property.'.length) : undefined
    const time = by === 'day' || by === 'week' || by === 'month'
    const fixed = (key: CellKey): null | string | undefined => {
      if (key[0] !== kind || !filter(key)) return undefined
      switch (by) {
        case 'flag': {
          return key[6]
        }

        case 'version': {
          return `${key[1]}@${key[2] ?? ''}`
        }

        default: {
          if (property !== undefined) return key[6] === property ? key[7] : undefined
          if (time) return ''
          if (by in FILTER_INDEX) return key[FILTER_INDEX[by as keyof typeof FILTER_INDEX]]
          return key[MAIN_INDEX[by as keyof typeof MAIN_INDEX]]
        }
      }
    }

    return (cell, period) => {
      let key = cache.get(cell)
      if (!cache.has(cell)) {
        key = fixed(this.cell(cell))
        cache.set(cell, key)
      }

      if (key === undefined || !time) return key
      let label = labels.get(period)
      if (label === undefined) {
        label =
          by === 'day' || kindOf(period) !== 'day'
            ? labelOf(period)
            : by === 'week'
              ? weekOf(period * DAY_MS)
              : monthOf(period * DAY_MS)
        labels.set(period, label)
      }

      return label
    }
  }

  /** Periods covering the query's days (all stored days when open-ended). */
  private async periods(filter: ReportFilter, kinds: {months: boolean; weeks: boolean}): Promise<number[]> {
    for (const f of FILTERS) if (filter[f] !== undefined && this.dict.idOf(filter[f]!) === undefined) return []
    const bounds = await this.reader.dayBounds()
    if (!bounds) return []
    const first = filter.from === undefined ? bounds[0] : Math.max(bounds[0], dayNumber(dayStart(filter.from)))
    const last = filter.to === undefined ? bounds[1] : Math.min(bounds[1], dayNumber(dayStart(filter.to)))
    return first > last ? [] : cover(first, last, kinds)
  }
}

/** Keys in order, null last. */
function byKey(a: null | string, b: null | string): number {
  return a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1
}

const TOP_NEXT = 3

function nextRows(
  groups: {command: null | string; next: Map<string, number>; outcome: null | string; total: number}[],
  limit: number,
): SessionsReport['next'] {
  const live = groups.filter((g) => g.total > 0)
  live.sort((a, b) => b.total - a.total || byKey(a.command, b.command) || byKey(a.outcome, b.outcome))
  const rows: SessionsReport['next'] = []
  for (const group of live.slice(0, limit)) {
    const top = [...group.next]
      .filter(([, n]) => n > 0)
      .map(([to, count]) => {
        const [next, ended] = JSON.parse(to) as [null | string, number]
        return {count, ended: ended === 1, next}
      })
      .sort((a, b) => b.count - a.count || Number(a.ended) - Number(b.ended) || byKey(a.next, b.next))
      .slice(0, TOP_NEXT)
    for (const t of top) {
      rows.push({
        command: group.command,
        count: t.count,
        ended: t.ended,
        next: t.next,
        outcome: group.outcome,
        total: group.total,
      })
    }
  }

  return rows
}
