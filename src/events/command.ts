import type {FlagDefinition} from './flags.js'

import {summarizeArgv} from './flags.js'
import {nearestId} from './suggestion.js'

/** The slice of an oclif `Command.Loadable` that an event is built from. */
export interface LoadedCommand {
  flags?: Record<string, FlagDefinition>
  id: string
  pluginName?: string
  pluginType?: string
}

export interface CommandInput {
  argv: readonly string[]
  Command: LoadedCommand | undefined
  durationMs: number
  error: Error | undefined
  /** `process.exitCode` when the command returned: commands may set it instead of throwing. */
  exitCode?: number | string
  /** The id oclif tried to run (for unknown commands: what the user typed). */
  id: string | undefined
}

export interface HostInfo {
  /** Whether a command id exists in this CLI (for `--help` on a known command). */
  hasCommand(id: string): boolean
  /** The CLI's visible command ids, aliases and topics: asked only for a command that was not found. */
  knownIds(): string[]
  name: string
  /** Version of a core plugin, by name. */
  pluginVersion(name: string): string | undefined
  version: string
}

/** How a command ended, as its `outcome` property says (docs/data-catalogue.md lists each). */
export const COMMAND_OUTCOMES = ['success', 'failure', 'not_found', 'help', 'version'] as const
export type CommandOutcome = (typeof COMMAND_OUTCOMES)[number]

export interface CommandProperties {
  args: number
  cli: string
  cli_version: string
  command: null | string
  duration_ms: number
  error: null | string
  exit_code: number
  flags: string[]
  outcome: CommandOutcome
  plugin: null | string
  plugin_version: null | string
  /** For `not_found` only: the CLI's nearest command id or topic, never the word typed. */
  suggestion: null | string
  unknown_flags: number
}

/** An error's class name, which is code, never its message, which may carry user data. */
export function errorClass(error: Error | undefined): null | string {
  if (!error) return null
  const name = error.constructor?.name && error.constructor.name !== 'Object' ? error.constructor.name : error.name
  return typeof name === 'string' && /^[$A-Z_a-z][\w$]{0,63}$/.test(name) ? name : 'Error'
}

function exitCodeOf(error: Error | undefined, exitCode: number | string | undefined): number {
  const fromError = (error as undefined | {oclif?: {exit?: unknown}})?.oclif?.exit
  if (typeof fromError === 'number') return fromError
  if (error) return 1
  const code = Number(exitCode ?? 0)
  return Number.isInteger(code) ? code : 1
}

function outcomeOf(input: CommandInput, exitCode: number): CommandOutcome {
  if (input.Command) return exitCode === 0 ? 'success' : 'failure'
  if (input.error) return 'not_found'
  return input.id === '--version' || input.id === '-v' ? 'version' : 'help'
}

/** Builds the properties of a `command` event: names and counts only, never values. */
export function commandProperties(input: CommandInput, host: HostInfo): CommandProperties {
  const exitCode = exitCodeOf(input.error, input.exitCode)
  const outcome = outcomeOf(input, exitCode)
  const {Command} = input
  const summary = summarizeArgv(input.argv, Command?.flags ?? {})
  let command: null | string = null
  if (Command) command = Command.id
  else if (outcome === 'help' && input.id && host.hasCommand(input.id)) command = input.id
  // The word typed for an unknown command is never kept (it may be a mistyped secret), only which
  // of the CLI's own ids it was nearest to. Computed here alone, off every other command's path.
  const suggestion = outcome === 'not_found' && input.id ? nearestId(input.id, host.knownIds()) : null

  // Only plugins the CLI ships (core) are named: what a user installed themselves is their business.
  const corePlugin = Command?.pluginType === 'core' && Command.pluginName && Command.pluginName !== host.name
  const plugin = corePlugin ? Command.pluginName! : null
  return {
    args: summary.args,
    cli: host.name,
    cli_version: host.version,
    command,
    duration_ms: Math.max(0, Math.round(input.durationMs)),
    error: outcome === 'failure' || outcome === 'not_found' ? errorClass(input.error) : null,
    exit_code: exitCode,
    flags: summary.flags,
    outcome,
    plugin,
    plugin_version: plugin ? (host.pluginVersion(plugin) ?? null) : null,
    suggestion,
    unknown_flags: summary.unknownFlags,
  }
}
