import {readFileSync} from 'node:fs'

import {countOf, timeOf, updateJsonFile} from '../files.js'

/** When the sender runs next: kept beside the queue, read by the hooks' due check and by the sender. */
export interface Schedule {
  /** No send is attempted before this time (ISO 8601), after 429, 5xx or network errors. */
  backoffUntil?: string
  /** A deletion request waits: the next recorded command starts a sender at once. */
  deletionPending?: boolean
  /** Consecutive failed attempts, for the exponential backoff. */
  failures: number
  /** When a sender last started (ISO 8601): the hooks start the next one a while after. */
  lastAttempt?: string
}

export function readSchedule(file: string): Schedule {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Record<keyof Schedule, unknown>
    const schedule: Schedule = {failures: countOf(parsed.failures)}
    const backoffUntil = timeOf(parsed.backoffUntil)
    const lastAttempt = timeOf(parsed.lastAttempt)
    if (backoffUntil) schedule.backoffUntil = backoffUntil
    if (lastAttempt) schedule.lastAttempt = lastAttempt
    if (parsed.deletionPending === true) schedule.deletionPending = true
    return schedule
  } catch {
    return {failures: 0}
  }
}

/** Read-modify-write, replaced atomically: only the sender (holding its lock) and `delete` write it. */
export function updateSchedule(file: string, change: (schedule: Schedule) => Schedule): Schedule {
  return updateJsonFile(file, readSchedule, change)
}
