import type {Hook} from '@oclif/core'

import {takeRun} from '../runtime/run-state.js'

/** Records the command that just ran, failed or was not found. Never throws, never prints to stdout. */
const hook: Hook.Finally = async function ({argv, Command, config, error, id}) {
  try {
    const run = takeRun(config)
    if (!run) return
    const {recordCommand} = await import('../runtime/record.js')
    await recordCommand(
      run,
      {argv, Command, error, exitCode: process.exitCode, id},
      {
        hasCommand: (commandId) => Boolean(config.findCommand(commandId)),
        knownIds: () => [
          ...config.commands.filter((c) => !c.hidden).flatMap((c) => [c.id, ...c.aliases]),
          ...config.topics.filter((t) => !t.hidden).map((t) => t.name),
        ],
        name: config.name,
        pluginVersion: (name) => config.plugins.get(name)?.version,
        version: config.version,
      },
    )
  } catch (error_) {
    this.debug(error_)
  }
}

export default hook
