// Why the collector refused a message, in words a user can act on (`status`, `flush`): its own
// reasons name fields of the schema; a timestamp refused is nearly always this machine's clock.
const DAY_MS = 24 * 60 * 60 * 1000
const HOUR_MS = 60 * 60 * 1000

/** `line` is the message as sent; `serverTime` the collector's clock (its Date header), if it gave one. */
export function describeRefusal(reason: string, line: string, serverTime = Date.now()): string {
  if (reason.startsWith('timestamp: more than 24 hours in the future')) {
    const ahead = timestampOf(line) - serverTime
    if (Number.isFinite(ahead) && ahead > 0) {
      const days = Math.round(ahead / DAY_MS)
      const amount = days >= 2 ? `${days} days` : `${Math.round(ahead / HOUR_MS)} hours`
      return `the clock of this machine is ${amount} ahead (the events are dated in the future)`
    }

    return 'the clock of this machine is ahead (the events are dated in the future)'
  }

  if (reason.startsWith('timestamp: before 2000-01-01')) return 'the clock of this machine is set before the year 2000'
  return `the collector found the event invalid: ${reason}`
}

function timestampOf(line: string): number {
  try {
    return Date.parse((JSON.parse(line) as {timestamp?: string}).timestamp ?? '')
  } catch {
    return Number.NaN
  }
}
