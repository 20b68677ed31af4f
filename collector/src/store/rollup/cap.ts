/**
 * The property cap. A custom property with more distinct values in a day than the cap keeps that
 * day's `cap` most frequent values (by events over every product and event; ties by the value's
 * text) and counts the rest as one value, OTHER. A property is capped per day so that a value
 * common on one day and rare on another is kept where it matters, and a report reads at most
 * `cap + 1` rows per period however many values a tool sends.
 *
 * The aggregates stay exact whatever order events and deletions arrive in: the rows of the values
 * not kept are moved, unreported, to a table of their own (the spill), OTHER's rows are their sum,
 * and a day is ranked again from these exact rows whenever it changes (see the stores' `recap`).
 */
import {type Fact, propertyOf} from '../report/facts.js'
import {DAY_MS} from '../report/time.js'
import {dayNumber, isClosed, periodsOf} from './periods.js'

/** The value standing for a day's values beyond the cap (a value sent as this text counts there too). */
export const OTHER = '(other)'

/** Values a new store keeps per property and day (a store keeps its own cap: see the stores' capTo). */
export const PROPERTY_CAP = 100

export interface ValueEvents {
  events: number
  value: number
}

/**
 * The values a day keeps: the `cap` with most events, ties broken by their text; never OTHER
 * (which the cap's own rows, and a sent "(other)", are stored under).
 */
export function keptValues(
  totals: Iterable<ValueEvents>,
  cap: number,
  textOf: (id: number) => string,
  other: number,
): Set<number> {
  const ranked = [...totals].filter((t) => t.value !== other && t.events > 0)
  if (ranked.length > cap) {
    ranked.sort((a, b) => b.events - a.events || compareText(textOf(a.value), textOf(b.value)))
    ranked.length = cap
  }

  return new Set(ranked.map((t) => t.value))
}

/** The values that move when a day's kept set goes from `kept` to `next`. */
export function moves(kept: ReadonlySet<number>, next: ReadonlySet<number>): {enter: number[]; leave: number[]} {
  return {enter: [...next].filter((v) => !kept.has(v)), leave: [...kept].filter((v) => !next.has(v))}
}

/**
 * The closed weeks and months to sum again (from their parts) after values moved on some days:
 * the rows of those values and OTHER's, per dimension, weeks before months (a month sums weeks).
 */
export class Resums {
  private readonly periods = new Map<number, Map<number, Set<number>>>()

  constructor(
    private readonly other: number,
    private readonly closedThrough: number,
  ) {}

  add(day: number, dim: number, values: number[]): void {
    for (const period of periodsOf(day * DAY_MS).slice(1)) {
      if (!isClosed(period, this.closedThrough)) continue
      let dims = this.periods.get(period)
      if (!dims) this.periods.set(period, (dims = new Map()))
      let set = dims.get(dim)
      if (!set) dims.set(dim, (set = new Set([this.other])))
      for (const value of values) set.add(value)
    }
  }

  *ordered(): Generator<[period: number, dim: number, values: number[]]> {
    for (const period of [...this.periods.keys()].sort((a, b) => a - b)) {
      for (const [dim, values] of this.periods.get(period)!) yield [period, dim, [...values]]
    }
  }
}

/**
 * Raw events (the path of multi-level filters) capped as the aggregates are: one property's values
 * not among their day's kept values (as `keptOf` reads them from the aggregates) become OTHER.
 */
export function capRawFacts(
  facts: readonly Fact[],
  name: string,
  keptOf: (day: number) => ReadonlySet<string> | undefined,
): Fact[] {
  return facts.map((fact) => {
    const value = propertyOf(fact, name)
    if (value === undefined || keptOf(dayNumber(fact.ts))?.has(value)) return fact
    return {
      ...fact,
      properties: Object.assign(Object.create(null) as Record<string, string>, fact.properties, {[name]: OTHER}),
    }
  })
}

/** Code-point order, as the reports sort keys. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
