// The background sender: started detached by a hook (see start.ts) with the lock already taken for
// it. It has no terminal and must never be noticed: every failure ends in the log and a backoff.
import {readFileSync} from 'node:fs'
import {setTimeout as sleep} from 'node:timers/promises'

import {type Paths, SENDER_JOB} from '../paths.js'
import {readDeletions} from '../queue/deletions.js'
import {endpointProblem, type Settings} from '../settings.js'
import {deliver} from './deliver.js'
import {LOCK_WAIT_MS} from './foreground.js'
import {heartbeat, HEARTBEAT_MS, setOwner, unlock, waitForLock} from './lock.js'
import {logTo} from './log.js'

// Started in the cache directory, where the job waits (see start.ts): nothing on the command line.
const {paths, persist, settings} = JSON.parse(readFileSync(SENDER_JOB, 'utf8')) as {
  paths: Paths
  persist?: boolean
  settings: Settings
}

/** After `telemetry delete` could not reach the collector: retries for up to two hours, 5 s doubling to 10 min. */
export const PERSIST_MS = 2 * 60 * 60 * 1000
const log = logTo(paths.senderLog)
// The job file is only as safe as the cache directory: send nowhere the settings rules would refuse.
if (settings.endpoint && endpointProblem(settings.endpoint)) settings.endpoint = undefined
setOwner(paths.lockFile, process.pid)
setOwner(paths.senderPidFile, process.pid)
// The sender's own file is kept fresh for its whole life, waits included: see Paths.senderPidFile.
const alive = setInterval(() => heartbeat(paths.senderPidFile), HEARTBEAT_MS)
let beat = setInterval(() => heartbeat(paths.lockFile), HEARTBEAT_MS)
log({event: 'sender started'})
try {
  const until = Date.now() + PERSIST_MS
  for (let wait = 5000; ; wait = Math.min(wait * 2, 600_000)) {
    // eslint-disable-next-line no-await-in-loop -- one attempt after another
    const report = await deliver({env: process.env, ignoreBackoff: Boolean(persist), log, paths, settings})
    const waiting = readDeletions(paths.deletionsFile).pending.length > 0
    if (!persist || report.stopped !== 'failure' || !waiting || Date.now() + wait > until) break
    // The lock is let go while waiting, so `flush` and other tools are never held up by this wait;
    // the sender's own file is kept, so no other sender starts meanwhile (the queue waits for this one).
    clearInterval(beat)
    unlock(paths.lockFile, process.pid)
    // eslint-disable-next-line no-await-in-loop -- waiting is the point
    await sleep(wait)
    // A `flush` or `delete` may hold the lock this moment: it sends for a few seconds at most.
    // eslint-disable-next-line no-await-in-loop -- one wait at a time
    if (!(await waitForLock(paths.lockFile, LOCK_WAIT_MS))) break
    beat = setInterval(() => heartbeat(paths.lockFile), HEARTBEAT_MS)
  }
} catch (error) {
  log({error: (error as Error).name, event: 'sender failed'})
} finally {
  clearInterval(beat)
  clearInterval(alive)
  unlock(paths.lockFile, process.pid)
  unlock(paths.senderPidFile, process.pid)
}
