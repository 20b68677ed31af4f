import type {Hook} from '@oclif/core'

import {optOutRule} from '../decision.js'
import {isTelemetryCommand, recordThisRun} from '../runtime/run-state.js'
import {familyOf} from '../settings.js'

/**
 * Decides once whether this command is recorded (docs/decision.md) and hands the decision to the
 * finally hook; shows the first-run notice. Never throws, never prints to stdout.
 */
const hook: Hook.Init = async function ({config, id}) {
  try {
    if (isTelemetryCommand(id)) return
    const startedAt = performance.now()
    const {env} = process
    const family = familyOf(config)
    // Rules 1 to 4 first, from this file alone: an opted-out command loads nothing more.
    if (optOutRule({cwd: process.cwd(), env, family})) return
    // The rest of the decision, and recording, are one more file (the build's dist/hooks/record.js):
    // loaded here rather than by the finally hook, a recorded command loads two files in all.
    const {startRun} = await import('../runtime/record.js')
    const run = await startRun({config, env, family, startedAt})
    if (run) recordThisRun(config, run)
  } catch (error) {
    this.debug(error)
  }
}

export default hook
