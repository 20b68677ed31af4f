import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import type {Sandbox} from './sandbox.js'

import {type Finished, spawnAndCollect} from './process.js'
import {isRoot, NOBODY} from './sandbox.js'

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures')
export const HOST_CLI = join(fixtures, 'host-cli', 'bin', 'run.js')
export const BARE_CLI = join(fixtures, 'bare-cli', 'bin', 'run.js')

export type RunResult = Finished

export interface RunOptions {
  /** The fixture CLI without the plugin: the baseline for "nothing changes". */
  bare?: boolean
  cwd?: string
  env?: NodeJS.ProcessEnv
  timeoutMs?: number
  /** Run as `nobody` (when tests run as root), so permission errors are real. */
  unprivileged?: boolean
}

/** Runs the fixture host CLI in a real child process, as a user would. */
export function runCli(sandbox: Sandbox, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return spawnAndCollect(process.execPath, [options.bare ? BARE_CLI : HOST_CLI, ...args], {
    cwd: options.cwd ?? sandbox.root,
    env: {...sandbox.env, ...options.env},
    timeoutMs: options.timeoutMs,
    ...(options.unprivileged && isRoot ? {gid: NOBODY, uid: NOBODY} : {}),
  })
}

/** A first command creates the config and records nothing: run one so that later ones are recorded. */
export async function initialise(sandbox: Sandbox, options: RunOptions = {}): Promise<RunResult> {
  return runCli(sandbox, ['hello'], options)
}

/** oclif wraps warnings and errors to the terminal width: undo that to match a sentence. */
export function flat(stderr: string): string {
  return stderr.replaceAll(/\s*\n\s*›\s+/g, ' ')
}
