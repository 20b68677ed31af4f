/** UTC calendar periods used by reports: day YYYY-MM-DD, ISO week YYYY-Www, month YYYY-MM. */
export type Period = 'day' | 'month' | 'week'

export const DAY_MS = 86_400_000

export function dayOf(ts: number): string {
  return new Date(ts).toISOString().slice(0, 10)
}

/** ISO 8601 week (weeks start on Monday; week 1 holds the year's first Thursday), e.g. 2026-W48. */
export function weekOf(ts: number): string {
  const date = new Date(Math.floor(ts / DAY_MS) * DAY_MS)
  const weekday = (date.getUTCDay() + 6) % 7
  // The Thursday of the same week decides the year.
  const thursday = new Date(date.getTime() + (3 - weekday) * DAY_MS)
  const year = thursday.getUTCFullYear()
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / DAY_MS / 7) + 1
  return `${year}-W${String(week).padStart(2, '0')}`
}

export function monthOf(ts: number): string {
  return new Date(ts).toISOString().slice(0, 7)
}

export function periodOf(period: Period, ts: number): string {
  return period === 'day' ? dayOf(ts) : period === 'week' ? weekOf(ts) : monthOf(ts)
}

/** First millisecond of a YYYY-MM-DD day. */
export function dayStart(day: string): number {
  return Date.parse(`${day}T00:00:00.000Z`)
}
