import type {HostConfig, Settings} from '../settings.js'

import {type Paths, telemetryPaths} from '../config/paths.js'
import {readSettings} from '../settings.js'

/** Settings and paths of the host CLI, for the `telemetry` commands. */
export function telemetryContext(
  config: HostConfig,
  env: NodeJS.ProcessEnv = process.env,
): {paths: Paths; settings: Settings} {
  const settings = readSettings(config, env)
  return {paths: telemetryPaths(settings.namespace, settings.envPrefix, env), settings}
}
