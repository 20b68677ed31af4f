import {existsSync} from 'node:fs'

import type {Settings} from '../settings.js'
import type {Paths} from './paths.js'
import type {ConfigState} from './state.js'

import {debugMode, environmentOptOut} from './environment.js'
import {loadConfig} from './load.js'
import {findRepositoryOptOut} from './opt-out-files.js'

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
  const variable = environmentOptOut(env, settings.envPrefix)
  if (variable) return off('environment', `${variable} is set in the environment`)
  if (existsSync(paths.legacyOptOutFile))
    return off('opt-out-file', `the opt-out file ${paths.legacyOptOutFile} exists`)
  const repository = findRepositoryOptOut(settings.namespace, cwd)
  if (repository) return off('repository-opt-out-file', `the opt-out file ${repository} applies to this directory`)
  if (!settings.endpoint && !debugMode(env, settings.envPrefix)) {
    return off('no-endpoint', `no endpoint is configured for ${settings.product}, so nothing is recorded`)
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
