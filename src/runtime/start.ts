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
    if (created) {
      process.stderr.write(noticeText(settings))
      if (debug) log(`[telemetry] first run: config created, ${describe(state)}; this command is not recorded`)
      return
    }

    // Another process created the config a moment ago and showed the notice: this run is an
    // ordinary one, recorded under the instance id that won, unless that file says otherwise.
    if (debug) log(`[telemetry] config created by another process, ${describe(state)}`)
    if (state.kind === 'ok' && state.enabled) record(state.instanceId)
    return
  }

  if (debug) log(`[telemetry] ${decision.enabled ? 'on' : 'off'}: ${decision.reason}; ${describe(decision.config)}`)
  if (!decision.enabled || decision.config.kind !== 'ok') return
  record(decision.config.instanceId)

  function record(instanceId: string): void {
    recordThisRun(config, {debug, instanceId, paths, settings, startedAt})
  }
}

function describe(state: ConfigState): string {
  return state.kind === 'ok' ? `instance ${state.instanceId}` : `config ${state.kind}`
}
