import {existsSync} from 'node:fs'
import {dirname, join} from 'node:path'

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
