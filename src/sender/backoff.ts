/** First wait after a failure; it doubles with each further failure, up to the cap. */
export const BACKOFF_BASE_MS = 30_000
export const BACKOFF_CAP_MS = 6 * 60 * 60 * 1000
/** A Retry-After longer than this is not believed. */
export const RETRY_AFTER_CAP_MS = 24 * 60 * 60 * 1000
/** The longest wait the sender ever sets. */
const LONGEST_WAIT_MS = Math.max(BACKOFF_CAP_MS, RETRY_AFTER_CAP_MS)

/**
 * How long to wait after the `failures`-th failure in a row: exponential, with jitter so that many
 * machines that lost the collector at the same moment do not come back at the same moment, and
 * never sooner than the collector asked (Retry-After).
 */
export function backoffMs(failures: number, retryAfterMs?: number, random: () => number = Math.random): number {
  const exponential = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, failures - 1))
  const jittered = exponential * (0.5 + random() / 2)
  return Math.max(jittered, Math.min(retryAfterMs ?? 0, RETRY_AFTER_CAP_MS))
}

/** `Retry-After` is either seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/**
 * Whether the sender is still backing off: the one place that asks (the due check, delivery, `status`).
 * A wait longer than any it sets (a clock that was wrong, a damaged file) is not believed.
 */
export function backingOff(schedule: {backoffUntil?: string}, now = Date.now()): boolean {
  if (schedule.backoffUntil === undefined) return false
  const left = Date.parse(schedule.backoffUntil) - now
  return left > 0 && left <= LONGEST_WAIT_MS
}
