// `flush` and `delete` send in the foreground, as the background sender would, holding its lock.
import type {Paths} from '../paths.js'
import type {Settings} from '../settings.js'

import {describeWriteError} from '../files.js'
import {deliver, type DeliveryReport} from './deliver.js'
import {heartbeat, HEARTBEAT_MS, lockOwner, unlock, waitForLock} from './lock.js'
import {logTo} from './log.js'

export const LOCK_WAIT_MS = 15_000

/** Why nothing was done: another sender holds the lock (its pid), or the lock cannot be written. */
export type Blocked = {busy: number | undefined} | {unwritable: string}

/** Runs `work` holding the sender lock, after waiting a little for a background sender to finish. */
export async function withSenderLock<T>(paths: Paths, work: () => Promise<T>): Promise<Blocked | T> {
  let locked: boolean
  try {
    locked = await waitForLock(paths.lockFile, LOCK_WAIT_MS)
  } catch (error) {
    return {unwritable: `the cache directory ${paths.cacheDir} cannot be written (${describeWriteError(error)})`}
  }

  if (!locked) return {busy: lockOwner(paths.lockFile)}
  const beat = setInterval(() => heartbeat(paths.lockFile), HEARTBEAT_MS)
  try {
    return await work()
  } finally {
    clearInterval(beat)
    unlock(paths.lockFile)
  }
}

/** Sends everything now, backoff or not (the user asked). Call it holding the lock. */
export function deliverNow(paths: Paths, settings: Settings): Promise<DeliveryReport> {
  return deliver({env: process.env, ignoreBackoff: true, log: logTo(paths.senderLog), paths, settings})
}
