import {readFileSync} from 'node:fs'

import {writeFileAtomic} from '../files.js'

/** Counters kept beside the queue, shown by `telemetry status`. */
export interface QueueStats {
  /** No send is attempted before this time (ISO 8601), after 429, 5xx or network errors. */
  backoffUntil?: string
  /** A deletion request waits: the next recorded command starts a sender at once. */
  deletionPending?: boolean
  /** Events dropped because the queue was full (oldest first). */
  dropped: number
  /** Consecutive failed attempts, for the exponential backoff. */
  failures: number
  /** When a sender last started (ISO 8601): the hooks start the next one a while after. */
  lastAttempt?: string
  /** Time of the last batch the collector accepted (ISO 8601). */
  lastSent?: string
  /** Batches the collector refused with a 4xx other than 429, and the events in them. */
  rejected: number
}

const EMPTY: QueueStats = {dropped: 0, failures: 0, rejected: 0}

export function readStats(file: string): QueueStats {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<QueueStats>
    return {...EMPTY, ...parsed}
  } catch {
    return {...EMPTY}
  }
}

/** Read-modify-write, replaced atomically. Rare (drops, sends), so a lost race costs a count at most. */
export function updateStats(file: string, change: (stats: QueueStats) => QueueStats): QueueStats {
  const next = change(readStats(file))
  try {
    writeFileAtomic(file, JSON.stringify(next))
  } catch {
    // An unwritable cache loses the counters, never a command.
  }

  return next
}
