/**
 * Periods of the aggregates, as integers: a day is its number since 1970-01-01, a week
 * WEEK + the number of its Monday, a month MONTH + year * 12 + month index. A report's date range
 * is covered by whole months, then whole weeks, then days, so a 90-day range reads ~20 periods.
 *
 * Week and month rows exist only for closed periods: those ending on or before the aggregates'
 * `closedThrough` day. Events fold into day rows only while their week or month is open; when it
 * closes (its last day GRACE_DAYS behind the newest event folded), its rows are summed from its
 * days once, and a later event of it adds to them directly. So a chunk rewrites small day rows,
 * not the growing week and month rows, and reports read the days of open periods instead.
 */
import {DAY_MS, dayOf, dayStart, monthOf, weekOf} from '../report/time.js'

export const WEEK = 100_000
export const MONTH = 200_000

export type PeriodKind = 'day' | 'month' | 'week'

export function dayNumber(ts: number): number {
  return Math.floor(ts / DAY_MS)
}

/** Day, week and month of a timestamp. */
export function periodsOf(ts: number): [number, number, number] {
  const day = dayNumber(ts)
  const weekday = (new Date(day * DAY_MS).getUTCDay() + 6) % 7
  const date = new Date(ts)
  return [day, WEEK + day - weekday, MONTH + date.getUTCFullYear() * 12 + date.getUTCMonth()]
}

/** Days after a week or month ends (by the newest event folded) before its rows are made. */
export const GRACE_DAYS = 2

/** First and last day number of a day, week or month period. */
export function daysOf(period: number): [number, number] {
  if (period < WEEK) return [period, period]
  if (period < MONTH) return [period - WEEK, period - WEEK + 6]
  const n = period - MONTH
  const first = Date.UTC(Math.floor(n / 12), n % 12, 1) / DAY_MS
  return [first, Date.UTC(Math.floor(n / 12), (n % 12) + 1, 1) / DAY_MS - 1]
}

/** Whether a period's rows exist: a day always, a week or month once closed. */
export function isClosed(period: number, closedThrough: number): boolean {
  return period < WEEK || daysOf(period)[1] <= closedThrough
}

/** Weeks and months whose last day is in (from, to]: the periods closing when closedThrough moves so. */
export function closing(from: number, to: number): number[] {
  const out = new Set<number>()
  for (let day = from + 1; day <= to; day++) {
    const [, week, month] = periodsOf(day * DAY_MS)
    if (daysOf(week)[1] === day) out.add(week)
    if (daysOf(month)[1] === day) out.add(month)
  }

  return [...out]
}

export function kindOf(period: number): PeriodKind {
  return period >= MONTH ? 'month' : period >= WEEK ? 'week' : 'day'
}

/** YYYY-MM-DD, YYYY-Www or YYYY-MM. */
export function labelOf(period: number): string {
  if (period >= MONTH) {
    const n = period - MONTH
    return monthOf(Date.UTC(Math.floor(n / 12), n % 12, 1))
  }

  if (period >= WEEK) return weekOf((period - WEEK) * DAY_MS)
  return dayOf(period * DAY_MS)
}

/** Period of a kind holding a YYYY-MM-DD day. */
export function periodOfDay(kind: PeriodKind, day: string): number {
  const [d, w, m] = periodsOf(dayStart(day))
  return kind === 'day' ? d : kind === 'week' ? w : m
}

/**
 * Disjoint periods exactly covering days [first, last] (day numbers), largest first where they
 * fit: months (when `months`), weeks (when `weeks`), else days. Only closed weeks and months
 * (ending on or before `closedThrough`) are used.
 */
export function cover(
  first: number,
  last: number,
  kinds: {months: boolean; weeks: boolean},
  closedThrough = Number.POSITIVE_INFINITY,
): number[] {
  const out: number[] = []
  let day = first
  while (day <= last) {
    const date = new Date(day * DAY_MS)
    if (kinds.months && date.getUTCDate() === 1) {
      const next = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1) / DAY_MS
      if (next - 1 <= last && next - 1 <= closedThrough) {
        out.push(MONTH + date.getUTCFullYear() * 12 + date.getUTCMonth())
        day = next
        continue
      }
    }

    if (kinds.weeks && date.getUTCDay() === 1 && day + 6 <= last && day + 6 <= closedThrough) {
      out.push(WEEK + day)
      day += 7
      continue
    }

    out.push(day)
    day++
  }

  return out
}
