import type {Decision} from '../decision.js'
import type {Paths} from '../paths.js'
import type {Settings} from '../settings.js'

/** What the init hook decided, handed to the finally hook of the same command. */
export interface RunState {
  debug: boolean
  /** The init hook's decision (docs/decision.md): this command is recorded. */
  decision: Decision
  instanceId: string
  paths: Paths
  settings: Settings
  /** `performance.now()` when the init hook ran: the command's duration is measured from here. */
  startedAt: number
  /** Writes debug lines to stderr, failing quietly (runtime/stderr.ts, kept in the hooks' file). */
  write: (text: string) => void
}

// Kept per CLI, by its root directory: oclif hands a command a Config object other than the hooks'.
// One map per process: this module is part of the hooks' file, which track() imports too.
const runs = new Map<string, RunState>()

interface CliRef {
  root: string
}

export function recordThisRun(config: CliRef, state: RunState): void {
  runs.set(config.root, state)
}

/** The state of the run being recorded, if it is (for custom events sent during the command). */
export function currentRun(config: CliRef): RunState | undefined {
  return runs.get(config.root)
}

/** The state of a run that should be recorded, taken once: a second call returns undefined. */
export function takeRun(config: CliRef): RunState | undefined {
  const state = runs.get(config.root)
  runs.delete(config.root)
  return state
}

export function isTelemetryCommand(id: string | undefined): boolean {
  return id === 'telemetry' || (id?.startsWith('telemetry:') ?? false)
}
