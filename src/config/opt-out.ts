// Rules 1 to 4 of the decision: the ones that need neither the config file nor its location.
// Every command runs them first, so they use only Node's built-ins and a few system calls.
import {environmentOptOut} from './environment.js'

// Through getBuiltinModule, not `import`: an ES module import of a builtin builds a facade of all
// its exports, which every command would pay for (0.04% of one, measured) for three functions.
/* eslint-disable n/no-unsupported-features/node-builtins -- in Node 20.16+ and 22.3+, without a warning */
const {existsSync} = process.getBuiltinModule('node:fs')
const {homedir} = process.getBuiltinModule('node:os')
const {dirname, join} = process.getBuiltinModule('node:path')
/* eslint-enable n/no-unsupported-features/node-builtins */

export interface OptOut {
  reason: string
  rule: 'environment' | 'opt-out-file' | 'repository-opt-out-file'
}

/** `~/.<namespace>/telemetry_opt_out`: Chef's Ruby tools honour it too; `off` creates it, `on` removes it. */
export function legacyOptOutFile(namespace: string): string {
  return join(homedir(), `.${namespace}`, 'telemetry_opt_out')
}

/**
 * A `.<namespace>/telemetry_opt_out` file in the working directory or any directory above it opts out
 * everyone who works there (rule 4). Returns the file found, if any.
 */
export function findRepositoryOptOut(namespace: string, cwd: string): string | undefined {
  let dir = cwd
  for (;;) {
    const candidate = join(dir, `.${namespace}`, 'telemetry_opt_out')
    if (existsSync(candidate)) return candidate
    const parent = dirname(dir)
    if (parent === dir) return undefined
    dir = parent
  }
}

/** The first of rules 1 to 4 that applies, if any. */
export function optOut(namespace: string, envPrefix: string, env: NodeJS.ProcessEnv, cwd: string): OptOut | undefined {
  const variable = environmentOptOut(env, envPrefix)
  if (variable) return {reason: `${variable} is set in the environment`, rule: 'environment'}
  const legacy = legacyOptOutFile(namespace)
  if (existsSync(legacy)) return {reason: `the opt-out file ${legacy} exists`, rule: 'opt-out-file'}
  const repository = findRepositoryOptOut(namespace, cwd)
  if (repository)
    return {reason: `the opt-out file ${repository} applies to this directory`, rule: 'repository-opt-out-file'}
  return undefined
}
