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

// Kept on the oclif Config of the run (each run of a CLI in one process, as in tests, has its own),
// under a registered symbol: the two hooks are bundled separately and share no module.
const RUN = Symbol.for('oclif-plugin-telemetry.run')

type Holder = {[RUN]?: RunState}

export function recordThisRun(config: object, state: RunState): void {
  ;(config as Holder)[RUN] = state
}

/** The state of a run that should be recorded, taken once: a second call returns undefined. */
export function takeRun(config: object): RunState | undefined {
  const holder = config as Holder
  const state = holder[RUN]
  delete holder[RUN]
  return state
}

export function isTelemetryCommand(id: string | undefined): boolean {
  return id === 'telemetry' || (id?.startsWith('telemetry:') ?? false)
}
