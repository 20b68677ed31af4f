import {mkdirSync, readFileSync, renameSync, writeFileSync} from 'node:fs'
import {dirname} from 'node:path'

/** Counters kept beside the queue, shown by `telemetry status`. */
export interface QueueStats {
  /** Events dropped because the queue was full (oldest first). */
  dropped: number
  /** Batches the collector refused with a 4xx other than 429, and the events in them. */
  rejected: number
  /** Time of the last batch the collector accepted (ISO 8601). */
  lastSent?: string
  /** No send is attempted before this time (ISO 8601), after 429, 5xx or network errors. */
  backoffUntil?: string
  /** Consecutive failed attempts, for the exponential backoff. */
  failures: number
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
    mkdirSync(dirname(file), {recursive: true})
    const tmp = `${file}.${process.pid}.tmp`
    writeFileSync(tmp, JSON.stringify(next))
    renameSync(tmp, file)
  } catch {
    // An unwritable cache loses the counters, never a command.
  }

  return next
}
