import type {Settings} from '../settings.js'
import type {Paths} from './paths.js'
import type {ConfigState} from './state.js'

import {debugMode} from './environment.js'
import {loadConfig} from './load.js'
import {optOut} from './opt-out.js'

/** Which rule decided, in the order they apply (the first that applies wins). */
export type Rule =
  'config' | 'config-invalid' | 'environment' | 'first-run' | 'no-endpoint' | 'opt-out-file' | 'repository-opt-out-file'

export interface Decision {
  config: ConfigState
  enabled: boolean
  /** A sentence for `status`: why, and what to do about it where something is wrong. */
  reason: string
  rule: Rule
}

export interface DecisionInput {
  cwd: string
  env: NodeJS.ProcessEnv
  paths: Paths
  settings: Settings
}

/** Applies the decision rules of the spec, in order. Reads files, never writes them. */
export async function decide({cwd, env, paths, settings}: DecisionInput): Promise<Decision> {
  const off = (rule: Rule, reason: string, config?: ConfigState): Decision => ({
    config: config ?? {kind: 'missing'},
    enabled: false,
    reason,
    rule,
  })
  const early = optOut(settings.namespace, settings.envPrefix, env, cwd)
  if (early) return off(early.rule, early.reason)
  if (!settings.endpoint && !debugMode(env, settings.envPrefix)) {
    const why = settings.endpointError
      ? `the endpoint ${settings.endpointError}`
      : `no endpoint is configured for ${settings.product}`
    return off('no-endpoint', `${why}, so nothing is recorded`)
  }

  const config = await loadConfig(paths)
  switch (config.kind) {
    case 'invalid': {
      return off(
        'config-invalid',
        `the shared config ${paths.configFile} cannot be used: ${config.reason}. ` +
          `Run "${settings.cli.bin} telemetry on" or "${settings.cli.bin} telemetry off" to rewrite it`,
        config,
      )
    }

    case 'missing': {
      return {
        config,
        enabled: true,
        reason: 'not set up yet: the next command creates the shared config and shows the notice (and records nothing)',
        rule: 'first-run',
      }
    }

    default: {
      return config.enabled
        ? {config, enabled: true, reason: 'the shared config says enabled: true', rule: 'config'}
        : off('config', 'the shared config says enabled: false', config)
    }
  }
}
