// Runs in the init hook of every command that was not opted out by the environment.
import type {ConfigState} from '../config/state.js'
import type {Settings} from '../settings.js'

import {decide} from '../config/decision.js'
import {debugMode} from '../config/environment.js'
import {telemetryPaths} from '../config/paths.js'
import {noticeText} from './notice.js'
import {recordThisRun} from './state.js'

export interface StartOptions {
  config: {root: string}
  cwd: string
  env: NodeJS.ProcessEnv
  log: (message: string) => void
  settings: Settings
}

/**
 * Decides whether this command is recorded, creating the shared config and showing the notice on a
 * first run. That first command is never recorded: nobody is counted before they could say no.
 */
export async function start({config, cwd, env, log, settings}: StartOptions): Promise<void> {
  const startedAt = performance.now()
  const paths = telemetryPaths(settings.namespace, settings.envPrefix, env)
  const decision = await decide({cwd, env, paths, settings})
  const debug = debugMode(env, settings.envPrefix)
  if (decision.rule === 'first-run') {
    const {createConfig} = await import('../config/shared-config.js')
    const {created, state} = createConfig(paths, settings)
    if (created) process.stderr.write(noticeText(settings))
    if (debug)
      log(`[telemetry] first run: config ${created ? 'created' : 'created by another process'}, ${describe(state)}`)
    return
  }

  if (debug) log(`[telemetry] ${decision.enabled ? 'on' : 'off'}: ${decision.reason}; ${describe(decision.config)}`)
  if (!decision.enabled || decision.config.kind !== 'ok') return
  recordThisRun(config, {debug, instanceId: decision.config.instanceId, paths, settings, startedAt})
}

function describe(state: ConfigState): string {
  return state.kind === 'ok' ? `instance ${state.instanceId}` : `config ${state.kind}`
}
