// Runs in the finally hook after an event was queued: starts the background sender when events are
// due, and returns at once. Cheap when they are not: one small file read.
import type {Paths} from '../paths.js'
import type {Settings} from '../settings.js'

import {writeFileAtomic} from '../files.js'
import {backingOff} from './backoff.js'
import {readSchedule, updateSchedule} from './schedule.js'

/** Enough waiting to be worth a request at once. */
export const DUE_BYTES = 32 * 1024
/** Otherwise a sender starts at most this often. */
export const DUE_AFTER_MS = 60_000

export function isDue(paths: Paths, queuedBytes: number, now = Date.now()): boolean {
  const schedule = readSchedule(paths.scheduleFile)
  if (backingOff(schedule, now)) return false
  if (queuedBytes >= DUE_BYTES || schedule.deletionPending) return true
  return !schedule.lastAttempt || now - Date.parse(schedule.lastAttempt) >= DUE_AFTER_MS
}

/**
 * Starts one detached sender if events are due and no sender runs: `process.execPath` on the sender
 * script, its own process group, no stdio, unreferenced, so the command exits without waiting.
 */
export async function startSenderIfDue(paths: Paths, settings: Settings, queuedBytes: number): Promise<boolean> {
  if (!settings.endpoint || !isDue(paths, queuedBytes)) return false
  return startSender(paths, settings)
}

/**
 * Starts the detached sender if no sender runs. `persist`: it retries a waiting deletion request for
 * a while instead of leaving it to the next recorded command (there may be none: telemetry off).
 */
export async function startSender(paths: Paths, settings: Settings, persist = false): Promise<boolean> {
  // Imported here, not statically: most recorded commands start no sender, and the lock is a chunk
  // of its own (the sender and the commands share it), one more file on every recorded command.
  const {setOwner, tryLock, unlock} = await import('./lock.js')
  // Taken here, not by the child: of 20 commands finishing at once, one starts a sender. First the
  // sender's own file: a sender waiting to retry holds it (not the lock), and sends what waits itself.
  try {
    if (!tryLock(paths.senderPidFile)) return false
    if (!tryLock(paths.lockFile)) {
      unlock(paths.senderPidFile)
      return false
    }
  } catch {
    unlock(paths.senderPidFile)
    return false // A cache that cannot be written: no sender could keep its state there either.
  }

  try {
    const [{spawn}, {fileURLToPath}] = await Promise.all([import('node:child_process'), import('node:url')])
    // This code runs from a chunk (dist/chunks/), one level below dist/ as the sender's entry is.
    const sender = fileURLToPath(new URL('../sender/main.js', import.meta.url))
    // Its command line (seen by anyone with `ps`) names only the script: what it is to do, and
    // where, waits in the cache directory, which is its working directory. Written under the lock,
    // so no other sender's job replaces it before the child has read it.
    writeFileAtomic(paths.senderJobFile, JSON.stringify({paths, persist, settings}))
    const child = spawn(process.execPath, [sender], {
      cwd: paths.cacheDir,
      // On Windows a detached child opens a console window; oclif's update check does the same.
      detached: process.platform !== 'win32',
      stdio: 'ignore',
      windowsHide: true,
    })
    child.on('error', () => {
      unlock(paths.lockFile, child.pid ?? process.pid)
      unlock(paths.senderPidFile, child.pid ?? process.pid)
    })
    child.unref()
    if (!child.pid) throw new Error('no sender started')
    setOwner(paths.lockFile, child.pid)
    setOwner(paths.senderPidFile, child.pid)
    // Recorded here too, not only by the sender: one that dies at start must not be restarted by every command.
    updateSchedule(paths.scheduleFile, (s) => ({...s, lastAttempt: new Date().toISOString()}))
    return true
  } catch {
    unlock(paths.lockFile)
    unlock(paths.senderPidFile)
    return false
  }
}
