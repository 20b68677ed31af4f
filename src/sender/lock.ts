// One sender per queue. The lock file holds the owner's pid; the owner touches it while it runs.
// A lock whose owner is gone (killed, crashed) is stale at once; one not touched for ten minutes
// (a reused pid after a reboot, a suspended laptop) too, and one with no pid after a heartbeat. So a
// crashed sender or a damaged lock file blocks nothing for long.
import {
  closeSync,
  linkSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import {dirname} from 'node:path'

import {ensureDir} from '../files.js'

export const HEARTBEAT_MS = 10_000
export const STALE_MS = 10 * 60_000

function ownerOf(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim())
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function inodeOf(file: string): number | undefined {
  try {
    return statSync(file).ino
  } catch {
    return undefined
  }
}

export function isStale(file: string, now = Date.now()): boolean {
  let age: number
  try {
    age = now - statSync(file).mtimeMs
  } catch {
    return false // no lock at all
  }

  if (age > STALE_MS) return true
  const pid = ownerOf(file)
  // No pid: being written this instant (it is written right after the file is made), or damaged
  // (empty, garbage) and then stale once older than a heartbeat, not only after ten minutes.
  return pid === undefined ? age > HEARTBEAT_MS : !alive(pid)
}

/**
 * Takes the lock for `pid`, breaking a stale one. False when another live sender holds it; throws
 * when it cannot be written at all (a read-only cache), which no wait would change.
 */
export function tryLock(file: string, pid = process.pid): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      ensureDir(dirname(file))
      const fd = openSync(file, 'wx', 0o600)
      try {
        writeSync(fd, String(pid))
      } finally {
        closeSync(fd)
      }

      return true
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      if (!isStale(file)) return false
      // Move the stale lock aside rather than deleting it: of several takers, only one rename
      // succeeds. If what was moved is not the lock judged stale (another taker replaced it in
      // between), it is put back, and this process gives way.
      const seen = inodeOf(file)
      const aside = `${file}.stale-${pid}`
      try {
        renameSync(file, aside)
      } catch {
        return false
      }

      if (inodeOf(aside) !== seen) {
        try {
          linkSync(aside, file)
        } catch {
          // Someone else holds a newer lock already.
        }

        rmSync(aside, {force: true})
        return false
      }

      rmSync(aside, {force: true})
    }
  }

  return false
}

/** Hands the lock to another process (the hook takes it, then gives it to the sender it starts). */
export function setOwner(file: string, pid: number): void {
  writeFileSync(file, String(pid))
}

export function heartbeat(file: string): void {
  try {
    const now = new Date()
    utimesSync(file, now, now)
  } catch {
    // The lock was broken as stale: the work already done is kept; another sender goes on.
  }
}

export function unlock(file: string, pid = process.pid): void {
  if (ownerOf(file) === pid) rmSync(file, {force: true})
}

export function lockOwner(file: string): number | undefined {
  return isStale(file) ? undefined : ownerOf(file)
}

/** For the foreground commands: waits a little for a background sender to finish. */
export async function waitForLock(file: string, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs
  for (;;) {
    if (tryLock(file)) return true
    if (Date.now() >= until) return false
    // eslint-disable-next-line no-await-in-loop -- polling, one wait at a time
    await new Promise((resolve) => {
      setTimeout(resolve, 200)
    })
  }
}
