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
  /** Why the last attempt failed (cleared by a success): `status` says it, not only sender.log. */
  lastFailure?: LastFailure
}

export interface LastFailure {
  /** When (ISO 8601). */
  at: string
  /** In words (sender/failure-words.ts): "cannot resolve telemetry.example.com". */
  description: string
  /** The code it failed with: ENOTFOUND, HTTP 503. */
  error: string
}

function lastFailureOf(value: unknown): LastFailure | undefined {
  if (!value || typeof value !== 'object') return undefined
  const {at, description, error} = value as Record<string, unknown>
  const time = timeOf(at)
  if (!time || typeof description !== 'string' || typeof error !== 'string') return undefined
  // Written by the sender only, but a damaged file must not fill the terminal.
  return {at: time, description: description.slice(0, 300), error: error.slice(0, 100)}
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
    const lastFailure = lastFailureOf(parsed.lastFailure)
    if (lastFailure) schedule.lastFailure = lastFailure
    return schedule
  } catch {
    return {failures: 0}
  }
}

/** Read-modify-write, replaced atomically: only the sender (holding its lock) and `delete` write it. */
export function updateSchedule(file: string, change: (schedule: Schedule) => Schedule): Schedule {
  return updateJsonFile(file, readSchedule, change)
}
