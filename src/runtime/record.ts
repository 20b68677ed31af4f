// Runs in the finally hook of a command that the init hook decided to record.
import type {CommandInput, HostInfo} from '../events/command.js'
import type {RunState} from './run-state.js'

import {commandProperties} from '../events/command.js'
import {platformProperties} from '../events/platform.js'
import {startSenderIfDue} from '../sender/start.js'
import {enqueue} from './enqueue.js'

export {startSender} from '../sender/start.js'
// track() takes enqueue() from here, and `delete` startSender() (dynamic imports): each then lives in
// this module's chunk alone, not in one more file that a recorded command loads.
export {enqueue} from './enqueue.js'

export async function recordCommand(
  run: RunState,
  input: Omit<CommandInput, 'durationMs'>,
  host: HostInfo,
): Promise<void> {
  const properties = {
    ...commandProperties({...input, durationMs: performance.now() - run.startedAt}, host),
    ...(await platformProperties()),
  }
  const queued = await enqueue(run, 'command', properties)
  if (!run.debug) await startSenderIfDue(run.paths, run.settings, queued)
}
