import type {Hook} from '@oclif/core'

import {optOut} from '../config/opt-out.js'
import {isTelemetryCommand} from '../runtime/state.js'
import {familyOf, readSettings} from '../settings.js'

/** Decides whether this command is recorded; shows the first-run notice. Never throws, never prints to stdout. */
const hook: Hook.Init = async function ({config, id}) {
  try {
    if (isTelemetryCommand(id)) return
    // Rules 1 to 4 first: an opted-out user pays for a few system calls; nothing more is imported.
    const {envPrefix, namespace} = familyOf(config)
    if (optOut(namespace, envPrefix, process.env, process.cwd())) return
    const settings = readSettings(config)
    const {start} = await import('../runtime/start.js')
    await start({
      config,
      cwd: process.cwd(),
      env: process.env,
      log: (line) => process.stderr.write(line + '\n'),
      settings,
    })
  } catch (error) {
    this.debug(error)
  }
}

export default hook
