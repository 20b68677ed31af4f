// The decision: whether a command is recorded and events are sent, and which rule says so. The
// rules and their order are written down in docs/decision.md; this is the only place that applies
// them. The init hook decides once per command and passes the decision on; the sender and `flush`
// ask again before every request (telemetry may have been turned off since).
import {existsSync} from 'node:fs'

import type {Paths} from './paths.js'
import type {Settings} from './settings.js'
import type {SharedConfigState} from './shared-config/validate.js'

import {findRepositoryOptOut, legacyOptOutFile} from './opt-out-files.js'
import {loadSharedConfig} from './shared-config/load.js'
import {debugMode, environmentOptOut} from './variables.js'

/** The rule that decided (docs/decision.md): rules 1 and 2 are both `environment`. */
export type Rule =
  | 'ci'
  | 'config'
  | 'config-invalid'
  | 'environment'
  | 'first-run'
  | 'no-endpoint'
  | 'opt-out-file'
  | 'repository-opt-out-file'

export interface Decision {
  /** Rule `ci` only: the CI service, as ci-info names it. */
  ciVendor?: string
  enabled: boolean
  /** A sentence for `status`: why, and what to do about it where something is wrong. */
  reason: string
  rule: Rule
  /** What the shared config says, once rule 6 read it; `missing` when an earlier rule decided. */
  sharedConfig: SharedConfigState
}

export interface DecisionInput {
  /** Where the command runs, for rule 4; undefined in the background sender, which has no such place. */
  cwd: string | undefined
  env: NodeJS.ProcessEnv
  /** The family, for rules 1 to 4. */
  family: {envPrefix: string; namespace: string}
  /** Asked for by rules 6 and 7 only: an opted-out command never computes them. */
  paths: () => Paths
  /** Asked for by rule 5 on: an opted-out command never computes them. */
  settings: () => Settings
}

/** Applies the rules of docs/decision.md in order: the first that applies decides. Never writes a file. */
export async function decide({cwd, env, family, paths, settings}: DecisionInput): Promise<Decision> {
  const missing: SharedConfigState = {kind: 'missing'}
  const off = (rule: Rule, reason: string, sharedConfig: SharedConfigState = missing): Decision => ({
    enabled: false,
    reason,
    rule,
    sharedConfig,
  })

  // Rules 1 and 2.
  const variable = environmentOptOut(env, family.envPrefix)
  if (variable) return off('environment', `${variable} is set in the environment`)
  // Rule 3.
  const legacy = legacyOptOutFile(family.namespace)
  if (existsSync(legacy)) return off('opt-out-file', `the opt-out file ${legacy} exists`)
  // Rule 4.
  const repository = cwd === undefined ? undefined : findRepositoryOptOut(family.namespace, cwd)
  if (repository) return off('repository-opt-out-file', `the opt-out file ${repository} applies to this directory`)
  // Rule 5.
  const {cli, endpoint, endpointError, product} = settings()
  if (!endpoint && !debugMode(env, family.envPrefix)) {
    const why = endpointError ? `the endpoint ${endpointError}` : `no endpoint is configured for ${product}`
    return off('no-endpoint', `${why}, so nothing is recorded`)
  }

  // Rules 6 and 7.
  const files = paths()
  const config = await loadSharedConfig(files)
  switch (config.kind) {
    case 'invalid': {
      return off(
        'config-invalid',
        `the shared config ${files.configFile} cannot be used: ${config.reason}. ` +
          `Run "${cli.bin} telemetry on" or "${cli.bin} telemetry off" to rewrite it`,
        config,
      )
    }

    case 'missing': {
      // A CI job with no config: most hosted CI starts from a fresh home, so a config made there
      // would count every run as a new person and print the whole notice in every log.
      // Imported here only: ci.ts belongs with the recorded command's code, off every command's path.
      const {ciVendor} = await import('./ci.js')
      const vendor = await ciVendor(env)
      if (vendor) {
        return {
          ciVendor: vendor,
          enabled: true,
          reason: `running in CI (${vendor}) with no shared config: no config is written, and events are sent under an id of this CI job's run, not of a person`,
          rule: 'ci',
          sharedConfig: config,
        }
      }

      return {
        enabled: true,
        reason: 'not set up yet: the next command creates the shared config and shows the notice (and records nothing)',
        rule: 'first-run',
        sharedConfig: config,
      }
    }

    default: {
      return config.enabled
        ? {enabled: true, reason: 'the shared config says enabled: true', rule: 'config', sharedConfig: config}
        : off('config', 'the shared config says enabled: false', config)
    }
  }
}

/** Whether events may be sent now: on, with a config to send them under (not a first run). */
export function maySend(decision: Decision): decision is Decision & {sharedConfig: {kind: 'ok'}} {
  return decision.enabled && decision.sharedConfig.kind === 'ok'
}

/** Whether what waits may be sent: on with a config, or in CI with none (under the run's id). */
export function maySendQueued(decision: Decision): boolean {
  return maySend(decision) || (decision.enabled && decision.rule === 'ci')
}

/** The rules by which the user turned telemetry off for this machine: what waits is deleted, as `off` does. */
export function turnedOff(decision: Decision): boolean {
  return decision.rule === 'opt-out-file' || (decision.rule === 'config' && !decision.enabled)
}
