import {readFileSync} from 'node:fs'

import {countOf, timeOf, updateJsonFile} from '../files.js'

/** Counters kept beside the queue, shown by `telemetry status` (the sender's schedule is its own: sender/schedule.ts). */
export interface QueueStats {
  /** Events dropped because the queue was full (oldest first), or damaged. */
  dropped: number
  /** Time of the last batch the collector accepted (ISO 8601). */
  lastSent?: string
  /** Batches the collector refused with a 4xx other than 429, and the events in them. */
  rejected: number
  /** Events the collector accepted, since the queue's stats began (`telemetry preview` says it). */
  sent: number
}

const EMPTY: QueueStats = {dropped: 0, rejected: 0, sent: 0}

/** The stats, with any damaged value read as none (a damaged file is not shown as it is). */
export function readStats(file: string): QueueStats {
  try {
    const {dropped, lastSent, rejected, sent} = JSON.parse(readFileSync(file, 'utf8')) as Record<
      keyof QueueStats,
      unknown
    >
    const stats: QueueStats = {dropped: countOf(dropped), rejected: countOf(rejected), sent: countOf(sent)}
    const last = timeOf(lastSent)
    if (last) stats.lastSent = last
    return stats
  } catch {
    return {...EMPTY}
  }
}

/** Read-modify-write, replaced atomically. Rare (drops, sends), so a lost race costs a count at most. */
export function updateStats(file: string, change: (stats: QueueStats) => QueueStats): QueueStats {
  return updateJsonFile(file, readStats, change)
}
