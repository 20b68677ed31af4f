// The opt-out files of rules 3 and 4 (docs/decision.md). Every command looks for them, so only
// Node's built-ins and a few system calls.
import {existsSync} from 'node:fs'
import {homedir} from 'node:os'
import {dirname, join} from 'node:path'

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
