// The background sender: started detached by a hook (see start.ts) with the lock already taken for
// it. It has no terminal and must never be noticed: every failure ends in the log and a backoff.
import type {Paths} from '../config/paths.js'
import type {Settings} from '../settings.js'

import {deliver} from './deliver.js'
import {heartbeat, HEARTBEAT_MS, setOwner, unlock} from './lock.js'
import {logTo} from './log.js'

const {paths, settings} = JSON.parse(process.argv[2]) as {paths: Paths; settings: Settings}
const log = logTo(paths.senderLog)
setOwner(paths.lockFile, process.pid)
const beat = setInterval(() => heartbeat(paths.lockFile), HEARTBEAT_MS)
log({event: 'sender started'})
try {
  await deliver({env: process.env, ignoreBackoff: false, log, paths, settings})
} catch (error) {
  log({error: (error as Error).name, event: 'sender failed'})
} finally {
  clearInterval(beat)
  unlock(paths.lockFile, process.pid)
}
