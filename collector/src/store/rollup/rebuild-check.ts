/**
 * Whether a rebuild from the raw events would lose what the aggregates hold. After a purge, the
 * aggregates are the only record of the purged events: a day, week or month row that counts more
 * events than the raw events left in its days counts purged ones, which a rebuild would drop.
 */
import {daysOf, kindOf} from './periods.js'

/** Events of the total dimension in one aggregate row (a day, or a closed week or month). */
export interface PeriodTotal {
  events: number
  period: number
}

/**
 * The events a rebuild would lose, at least: per kind of period, the sum of each row's events beyond
 * the raw events of its days, and the largest of the three (a week kept by `purge --rollups` may hold
 * days whose rows were purged). 0 when the raw events account for every row.
 */
export function lostOnRebuild(totals: Iterable<PeriodTotal>, rawPerDay: ReadonlyMap<number, number>): number {
  const beyond = {day: 0, month: 0, week: 0}
  for (const {events, period} of totals) {
    const [first, last] = daysOf(period)
    let raw = 0
    for (let day = first; day <= last; day++) raw += rawPerDay.get(day) ?? 0
    beyond[kindOf(period)] += Math.max(0, events - raw)
  }

  return Math.max(beyond.day, beyond.week, beyond.month)
}
