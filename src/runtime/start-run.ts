// The init hook's second half, loaded only when none of rules 1 to 4 applies: rules 5 to 7 of
// docs/decision.md, the first run, and the state of a run to record.
import type {HostCli, Settings} from '../settings.js'
import type {RunState} from './run-state.js'

import {configRule, maySend} from '../decision.js'
import {type Paths, telemetryPaths} from '../paths.js'
import {readSettings} from '../settings.js'
import {loadSharedConfig} from '../shared-config/load.js'
import {debugMode} from '../variables.js'

const log = (line: string) => process.stderr.write(line + '\n')

export interface StartInput {
  config: HostCli
  env: NodeJS.ProcessEnv
  family: {envPrefix: string; namespace: string}
  /** `performance.now()` when the init hook ran. */
  startedAt: number
}

/**
 * Decides by rules 5 to 7 and shows the first-run notice. Returns the state of the run when this
 * command is to be recorded, undefined when it is not.
 */
export async function startRun({config, env, family, startedAt}: StartInput): Promise<RunState | undefined> {
  let settings: Settings | undefined
  let paths: Paths | undefined
  const decision = await configRule({
    cwd: undefined,
    env,
    family,
    paths() {
      paths ??= telemetryPaths(family.namespace, family.envPrefix, env)
      return paths
    },
    settings() {
      settings ??= readSettings(config, env)
      return settings
    },
  })
  // Rule 5 decided before the paths were needed: nothing more to do or to say.
  if (!settings || !paths) return undefined
  const debug = debugMode(env, family.envPrefix)
  let instanceId = maySend(decision) ? decision.sharedConfig.instanceId : undefined
  if (decision.rule === 'first-run') {
    const {firstRun} = await import('./first-run.js')
    instanceId = firstRun({debug, log, paths, settings})
    // Snapshots the new file now (yaml is loaded already), so the next command reads JSON only.
    await loadSharedConfig(paths)
  } else if (debug) {
    const {enabled, reason, sharedConfig: state} = decision
    log(
      `[telemetry] ${enabled ? 'on' : 'off'}: ${reason}; ${state.kind === 'ok' ? `instance ${state.instanceId}` : `config ${state.kind}`}`,
    )
  }

  return instanceId ? {debug, decision, instanceId, paths, settings, startedAt} : undefined
}
