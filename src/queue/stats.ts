import {readFileSync} from 'node:fs'

import {countOf, timeOf, updateJsonFile} from '../files.js'

/** Counters kept beside the queue, shown by `telemetry status` (the sender's schedule is its own: sender/schedule.ts). */
export interface QueueStats {
  /** Events dropped because the queue was full (oldest first), or damaged. */
  dropped: number
  /** Time of the last batch the collector accepted (ISO 8601). */
  lastSent?: string
  /** Events the collector refused (a 4xx other than 429, or one by one inside a 200). */
  rejected: number
  /** Why, in words, with how many events each: the ten most recent reasons. */
  rejectedReasons: Array<{count: number; reason: string}>
  /** Events the collector accepted, since the queue's stats began (`telemetry preview` says it). */
  sent: number
}

const EMPTY: QueueStats = {dropped: 0, rejected: 0, rejectedReasons: [], sent: 0}

function reasonsOf(value: unknown): QueueStats['rejectedReasons'] {
  if (!Array.isArray(value)) return []
  return value
    .filter((r): r is {count: number; reason: string} => typeof r?.reason === 'string' && countOf(r.count) > 0)
    .slice(-10)
    .map(({count, reason}) => ({count, reason: reason.slice(0, 300)}))
}

/** The stats, with any damaged value read as none (a damaged file is not shown as it is). */
export function readStats(file: string): QueueStats {
  try {
    const {dropped, lastSent, rejected, rejectedReasons, sent} = JSON.parse(readFileSync(file, 'utf8')) as Record<
      keyof QueueStats,
      unknown
    >
    const stats: QueueStats = {
      dropped: countOf(dropped),
      rejected: countOf(rejected),
      rejectedReasons: reasonsOf(rejectedReasons),
      sent: countOf(sent),
    }
    const last = timeOf(lastSent)
    if (last) stats.lastSent = last
    return stats
  } catch {
    return {...EMPTY, rejectedReasons: []}
  }
}

/** Read-modify-write, replaced atomically. Rare (drops, sends), so a lost race costs a count at most. */
export function updateStats(file: string, change: (stats: QueueStats) => QueueStats): QueueStats {
  return updateJsonFile(file, readStats, change)
}
