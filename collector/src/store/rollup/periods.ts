/**
 * Periods of the aggregates, as integers: a day is its number since 1970-01-01, a week
 * WEEK + the number of its Monday, a month MONTH + year * 12 + month index. A report's date range
 * is covered by whole months, then whole weeks, then days, so a 90-day range reads ~20 periods.
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
 * fit: months (when `months`), weeks (when `weeks`), else days.
 */
export function cover(first: number, last: number, kinds: {months: boolean; weeks: boolean}): number[] {
  const out: number[] = []
  let day = first
  while (day <= last) {
    const date = new Date(day * DAY_MS)
    if (kinds.months && date.getUTCDate() === 1) {
      const next = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1) / DAY_MS
      if (next - 1 <= last) {
        out.push(MONTH + date.getUTCFullYear() * 12 + date.getUTCMonth())
        day = next
        continue
      }
    }

    if (kinds.weeks && date.getUTCDay() === 1 && day + 6 <= last) {
      out.push(WEEK + day)
      day += 7
      continue
    }

    out.push(day)
    day++
  }

  return out
}
