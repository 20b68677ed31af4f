import type {Paths} from '../config/paths.js'
import type {Settings} from '../settings.js'

/** What the init hook decided, handed to the finally hook of the same command. */
export interface RunState {
  debug: boolean
  instanceId: string
  paths: Paths
  settings: Settings
  /** `performance.now()` when the init hook ran: the command's duration is measured from here. */
  startedAt: number
}

// Keyed by the oclif Config, so each run of a CLI in one process (as tests do) has its own state.
const runs = new WeakMap<object, RunState>()

export function recordThisRun(config: object, state: RunState): void {
  runs.set(config, state)
}

/** The state of a run that should be recorded, taken once: a second call returns undefined. */
export function takeRun(config: object): RunState | undefined {
  const state = runs.get(config)
  runs.delete(config)
  return state
}

export function isTelemetryCommand(id: string | undefined): boolean {
  return id === 'telemetry' || (id?.startsWith('telemetry:') ?? false)
}
