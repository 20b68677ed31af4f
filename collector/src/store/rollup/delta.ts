/**
 * What a chunk of events (sign +1) or a deleted instance's events (sign -1) changes in the
 * aggregates, merged in memory before the stores write it: many events collapse into the same
 * rows. Counters and histograms are sums, instances sets, session tallies counts.
 */
import type {Fact} from '../report/facts.js'

import {sessionOrder} from '../report/aggregate.js'
import {bucketOf, type Histogram} from '../report/histogram.js'
import {DAY_MS} from '../report/time.js'
import {dayNumber, isClosed, periodsOf} from './periods.js'
import {dimsOf, type IdOf, levelsOf} from './rows.js'
import {lengthKey, transitionKey} from './tallies.js'

export interface RowDelta {
  dim: number
  events: number
  failures: number
  /** Undefined until an event with a duration adds to it (fewer allocations). */
  histogram: Histogram | undefined
  /** Instances seen, possibly repeated (additions only: a deletion removes its one instance). */
  instances: number[]
  level: number
  period: number
  value: number
}

/** "period\tkey" */
export type PeriodKey = string

export function periodKey(period: number, key: string): PeriodKey {
  return `${period}\t${key}`
}

export function splitPeriodKey(pk: PeriodKey): [number, string] {
  const tab = pk.indexOf('\t')
  return [Number(pk.slice(0, tab)), pk.slice(tab + 1)]
}

/** Rows in the order every writer upserts them (no deadlocks between collectors). */
export function byRowKey(a: RowDelta, b: RowDelta): number {
  return a.period - b.period || a.level - b.level || a.dim - b.dim || a.value - b.value
}

type ValueMap = Map<number, RowDelta>

/** What a day keeps of a property (see AggDelta.spillUnkept). */
export interface DayKept {
  kept: Set<number>
  room: number
}

/**
 * A day's kept values and its room: new values may join without a ranking only while the day keeps
 * fewer than `cap` and has no spilled value (one could rank above them).
 */
export function dayKept(kept: Set<number>, spilled: boolean, cap: number): DayKept {
  return {kept, room: spilled ? 0 : Math.max(0, cap - kept.size)}
}

/** level -> dim -> value -> row, for one period. */
export type PeriodRows = Map<number, Map<number, ValueMap>>

export function addRow(
  target: Map<number, PeriodRows>,
  period: number,
  level: number,
  dim: number,
  value: number,
): RowDelta {
  let levels = target.get(period)
  if (!levels) target.set(period, (levels = new Map()))
  let dims = levels.get(level)
  if (!dims) levels.set(level, (dims = new Map()))
  let values = dims.get(dim)
  if (!values) dims.set(dim, (values = new Map()))
  let row = values.get(value)
  if (!row) {
    row = {dim, events: 0, failures: 0, histogram: undefined, instances: [], level, period, value}
    values.set(value, row)
  }

  return row
}

/** Adds one row's counts, histogram and instances to another's. */
export function addInto(target: RowDelta, row: RowDelta): void {
  target.events += row.events
  target.failures += row.failures
  if (row.histogram) {
    target.histogram ??= new Map()
    for (const [bucket, n] of row.histogram) target.histogram.set(bucket, (target.histogram.get(bucket) ?? 0) + n)
  }

  for (const instance of row.instances) target.instances.push(instance)
}

export function* rowsOf(target: Map<number, PeriodRows>): Generator<RowDelta> {
  for (const levels of target.values()) {
    for (const dims of levels.values()) for (const values of dims.values()) yield* values.values()
  }
}

export class AggDelta {
  /** Session tallies: period and tally key -> count change. */
  readonly tallies = new Map<PeriodKey, number>()
  /** Day rows; week and month rows are summed from them when asked for (many events share a day row). */
  private readonly days = new Map<number, PeriodRows>()
  /** Day rows of property values their day does not keep (see cap.ts). */
  private readonly spilled = new Map<number, PeriodRows>()

  /** `closedThrough`: weeks and months ending by this day have rows (see periods.ts); the rest only days. */
  constructor(
    readonly sign: -1 | 1,
    readonly closedThrough: number,
  ) {}

  /** An event's rows (its strings are in the dictionary already). */
  addEvent(fact: Fact, id: IdOf): void {
    const levels = levelsOf(fact, id)
    const dims = dimsOf(fact, id)
    const {sign} = this
    const failure = fact.outcome === 'failure' ? sign : 0
    const bucket = fact.duration === null ? undefined : bucketOf(fact.duration)
    const day = dayNumber(fact.ts)
    let byLevel = this.days.get(day)
    if (!byLevel) this.days.set(day, (byLevel = new Map()))
    for (const level of levels) {
      let byDim = byLevel.get(level)
      if (!byDim) byLevel.set(level, (byDim = new Map()))
      for (let i = 0; i < dims.length; i += 2) {
        const dim = dims[i]
        const value = dims[i + 1]
        let values = byDim.get(dim)
        if (!values) byDim.set(dim, (values = new Map()))
        let row = values.get(value)
        if (!row) {
          row = {dim, events: 0, failures: 0, histogram: undefined, instances: [], level, period: day, value}
          values.set(value, row)
        }

        row.events += sign
        row.failures += failure
        if (bucket !== undefined) {
          row.histogram ??= new Map()
          row.histogram.set(bucket, (row.histogram.get(bucket) ?? 0) + sign)
        }

        // A session's events come one after another: most repeats are caught here.
        if (sign === 1 && row.instances.at(-1) !== fact.instance) row.instances.push(fact.instance)
      }
    }
  }

  /**
   * A session's contribution: its length under its first command, and each command's next one
   * (or its end). `sign` lets the caller take an old version of the session away.
   */
  addSession(commands: Fact[], sign: -1 | 1): void {
    if (commands.length === 0) return
    const list = [...commands].sort(sessionOrder)
    const tally = (ts: number, key: string) => {
      for (const period of periodsOf(ts)) {
        if (!isClosed(period, this.closedThrough)) continue
        const pk = periodKey(period, key)
        const n = (this.tallies.get(pk) ?? 0) + sign
        if (n === 0) this.tallies.delete(pk)
        else this.tallies.set(pk, n)
      }
    }

    tally(list[0].ts, lengthKey(list[0].product, list.length))
    for (const [i, fact] of list.entries()) tally(fact.ts, transitionKey(fact, list[i + 1]))
  }

  /** The (day, dimension) pairs of the day rows whose dimension passes `which`. */
  dayDims(which: (dim: number) => boolean): [number, number][] {
    const out: [number, number][] = []
    for (const [day, levels] of this.days) {
      for (const dim of levels.get(0)?.keys() ?? []) if (which(dim)) out.push([day, dim])
    }

    return out
  }

  /** Day rows, and the rows of closed weeks and months. */
  *rows(): Generator<RowDelta> {
    yield* rowsOf(this.days)
    const wider = new Map<number, PeriodRows>()
    for (const d of rowsOf(this.days)) {
      const [, week, month] = periodsOf(d.period * DAY_MS)
      for (const period of [week, month]) {
        if (isClosed(period, this.closedThrough)) addInto(addRow(wider, period, d.level, d.dim, d.value), d)
      }
    }

    yield* rowsOf(wider)
  }

  /** Rows in upsert order. */
  sortedRows(): RowDelta[] {
    return [...this.rows()].sort(byRowKey)
  }

  /** Spilled day rows (see spillUnkept), in upsert order. */
  sortedSpill(): RowDelta[] {
    return [...rowsOf(this.spilled)].sort(byRowKey)
  }

  /** Spilled day rows (see spillUnkept). */
  spilledRows(): Generator<RowDelta> {
    return rowsOf(this.spilled)
  }

  /**
   * Applies the property cap (see cap.ts) to the day rows: the rows of a value its day does not
   * keep move to the spill rows and add to OTHER's. `keptOf` tells, for a property dimension's day
   * (undefined: not a property), the values the day keeps and its `room`: how many new values may
   * join them without a ranking (none once the day has spilled values, which could rank higher).
   * Returns every property (day, dimension) pair of the delta, for the store to rank again.
   */
  spillUnkept(keptOf: (day: number, dim: number) => DayKept | undefined, other: number): [number, number][] {
    const touched: [number, number][] = []
    for (const [day, levels] of this.days) {
      for (const [dim, values] of levels.get(0) ?? []) {
        const known = keptOf(day, dim)
        if (!known) continue
        touched.push([day, dim])
        const {kept, room} = known
        if (this.sign === 1 && room > 0) {
          const fresh = [...values.values()].filter((r) => r.value !== other && !kept.has(r.value))
          for (const r of fresh.sort((a, b) => b.events - a.events).slice(0, room)) kept.add(r.value)
        }

        // A sent OTHER first: its own row moves to the spill before OTHER's sum is made.
        const spill = [...values.keys()].filter((value) => value !== other && !kept.has(value))
        if (values.has(other)) spill.unshift(other)
        for (const [level, dims] of levels) this.spill(day, level, dims.get(dim), spill, other)
      }
    }

    return touched
  }

  /** Tally keys (dictionary strings) the delta refers to. */
  tallyStrings(): Set<string> {
    const out = new Set<string>()
    for (const pk of this.tallies.keys()) out.add(splitPeriodKey(pk)[1])
    return out
  }

  /** Moves a day's rows (of one level and dimension) of some values to the spill rows and adds them to OTHER's. */
  private spill(day: number, level: number, rows: undefined | ValueMap, values: number[], other: number): void {
    for (const value of values) {
      const row = rows?.get(value)
      if (!row) continue
      rows!.delete(value)
      addInto(addRow(this.spilled, day, level, row.dim, value), row)
      addInto(addRow(this.days, day, level, row.dim, other), row)
    }
  }
}

/** Session ids of command events, with those events. */
export function commandSessions(facts: Iterable<Fact>): Map<string, Fact[]> {
  const sessions = new Map<string, Fact[]>()
  for (const fact of facts) {
    if (fact.session === null || fact.event !== 'command') continue
    let list = sessions.get(fact.session)
    if (!list) sessions.set(fact.session, (list = []))
    list.push(fact)
  }

  return sessions
}
