import type {HostCli, Settings} from '../settings.js'

import {decide, type Decision} from '../decision.js'
import {type Paths, telemetryPaths} from '../paths.js'
import {readSettings} from '../settings.js'

export interface TelemetryContext {
  paths: Paths
  settings: Settings
}

/** Settings and paths of the host CLI, for the `telemetry` commands. */
export function telemetryContext(config: HostCli, env: NodeJS.ProcessEnv = process.env): TelemetryContext {
  const settings = readSettings(config, env)
  return {paths: telemetryPaths(settings.namespace, settings.envPrefix, env), settings}
}

/** The decision (docs/decision.md) for a `telemetry` command run here and now. */
export function decideHere(
  {paths, settings}: TelemetryContext,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Decision> {
  return decide({cwd: process.cwd(), env, family: settings, paths: () => paths, settings: () => settings})
}
