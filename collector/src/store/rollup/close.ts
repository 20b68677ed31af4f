/**
 * Closing weeks and months (see periods.ts): when the newest event folded is GRACE_DAYS past a
 * period's last day, its rows are summed once from its days' rows, inside the aggregator's chunk
 * transaction; from then on its events add to them directly.
 */
import type {Fact} from '../report/facts.js'

import {addHistogram} from './codecs.js'
import {addRow, byRowKey, type PeriodRows, type RowDelta, rowsOf} from './delta.js'
import {decodeSet, Union} from './instance-set.js'
import {closing, cover, dayNumber, daysOf, GRACE_DAYS} from './periods.js'

/** A stored day row, as the stores read it to close a period. */
export interface DayRow {
  dim: number
  events: number
  failures: number
  histogram: null | Uint8Array
  instances: null | Uint8Array
  level: number
  value: number
}

/**
 * The closed-through day to fold a chunk with: the stored one, or before the chunk's first day
 * when nothing is closed yet (no period ending before it has events).
 */
export function startingClosedThrough(stored: null | number, chunk: readonly Fact[]): number {
  if (stored !== null) return stored
  let first = Number.POSITIVE_INFINITY
  for (const fact of chunk) first = Math.min(first, dayNumber(fact.ts))
  return first - 1
}

/**
 * The closed-through day after a chunk, and the periods it closes. Never past today (less the
 * grace): one event dated in the future must not close the periods ahead of it.
 */
export function advance(
  closedThrough: number,
  chunk: readonly Fact[],
  now = Date.now(),
): {closedThrough: number; periods: number[]} {
  let newest = Number.NEGATIVE_INFINITY
  for (const fact of chunk) newest = Math.max(newest, dayNumber(fact.ts))
  const next = Math.min(newest, dayNumber(now)) - GRACE_DAYS
  if (next <= closedThrough) return {closedThrough, periods: []}
  return {closedThrough: next, periods: closing(closedThrough, next)}
}

/**
 * The days the closing periods span: the stores look up which of them have events, and
 * withEventDays() keeps the periods that have one.
 */
export function daySpan(periods: readonly number[]): [number, number] {
  let first = Number.POSITIVE_INFINITY
  let last = Number.NEGATIVE_INFINITY
  for (const period of periods) {
    const [a, b] = daysOf(period)
    first = Math.min(first, a)
    last = Math.max(last, b)
  }

  return [first, last]
}

/**
 * The closing periods with a day that has events. The others have no rows to sum, and summing
 * nothing costs queries: one event dated years back would make a chunk close every week and month
 * since, about a second of queries on PostgreSQL. A period skipped is closed all the same (the
 * closed-through day moves past it), with no rows, which is what summing would have given.
 */
export function withEventDays(periods: readonly number[], days: ReadonlySet<number>): number[] {
  return periods.filter((period) => {
    const [first, last] = daysOf(period)
    for (let day = first; day <= last; day++) if (days.has(day)) return true
    return false
  })
}

/**
 * The stored periods a closing week or month is summed from: a week from its days, a month from
 * its closed weeks and the days around them (a quarter of the rows its days would be).
 */
export function partsOf(period: number, closedThrough: number): number[] {
  const [first, last] = daysOf(period)
  return cover(first, last, {months: false, weeks: daysOf(period)[1] - first > 6}, closedThrough)
}

/**
 * A period's rows summed from rows of its parts (instance sets unioned), in upsert order: a closing
 * week's or month's, or a day's OTHER rows from its spilled values' rows.
 */
export function summedRows(period: number, days: Iterable<DayRow>): RowDelta[] {
  const target = new Map<number, PeriodRows>()
  const sets = new Map<RowDelta, Uint8Array[]>()
  for (const d of days) {
    const row = addRow(target, period, d.level, d.dim, d.value)
    row.events += d.events
    row.failures += d.failures
    if (d.histogram !== null) {
      row.histogram ??= new Map()
      addHistogram(row.histogram, d.histogram)
    }

    if (d.instances === null) continue
    const list = sets.get(row)
    if (list) list.push(d.instances)
    else sets.set(row, [d.instances])
  }

  const out = [...rowsOf(target)]
  for (const row of out) row.instances = unionOf(sets.get(row) ?? [])
  return out.sort(byRowKey)
}

/** The numbers of stored sets together: small ones listed, larger ones ORed in a bitmap (no sorting). */
function unionOf(sets: Uint8Array[]): number[] {
  if (sets.length <= 1) return decodeSet(sets[0] ?? null)
  let bytes = 0
  for (const set of sets) bytes += set.byteLength
  if (bytes < 256) return sets.flatMap((set) => decodeSet(set))
  const union = new Union()
  for (const set of sets) union.add(set)
  return union.numbers()
}
