import {readFileSync} from 'node:fs'

import {updateJsonFile} from '../files.js'

/** Counters kept beside the queue, shown by `telemetry status` (the sender's schedule is its own: sender/schedule.ts). */
export interface QueueStats {
  /** Events dropped because the queue was full (oldest first), or damaged. */
  dropped: number
  /** Time of the last batch the collector accepted (ISO 8601). */
  lastSent?: string
  /** Batches the collector refused with a 4xx other than 429, and the events in them. */
  rejected: number
}

const EMPTY: QueueStats = {dropped: 0, rejected: 0}

/** A count as the stats keep it, or 0 for anything else: a damaged file is not shown as it is. */
const countOf = (value: unknown) => (Number.isSafeInteger(value) && (value as number) >= 0 ? (value as number) : 0)

export function readStats(file: string): QueueStats {
  try {
    const {dropped, lastSent, rejected} = JSON.parse(readFileSync(file, 'utf8')) as Record<keyof QueueStats, unknown>
    const stats: QueueStats = {dropped: countOf(dropped), rejected: countOf(rejected)}
    if (typeof lastSent === 'string' && Number.isFinite(Date.parse(lastSent))) stats.lastSent = lastSent
    return stats
  } catch {
    return {...EMPTY}
  }
}

/** Read-modify-write, replaced atomically. Rare (drops, sends), so a lost race costs a count at most. */
export function updateStats(file: string, change: (stats: QueueStats) => QueueStats): QueueStats {
  return updateJsonFile(file, readStats, change)
}
