// Runs in the finally hook of a command that the init hook decided to record.
import type {CommandInput, HostInfo} from '../events/command.js'
import type {RunState} from './state.js'

import {commandProperties} from '../events/command.js'
import {environment} from '../events/environment.js'
import {randomUuid} from '../events/ids.js'
import {buildMessage} from '../events/message.js'
import {appendLine} from '../queue/queue.js'
import {startSenderIfDue} from '../sender/start.js'
import {currentSessionId} from './session.js'

export async function recordCommand(
  run: RunState,
  input: Omit<CommandInput, 'durationMs'>,
  host: HostInfo,
): Promise<void> {
  const properties = {
    ...commandProperties({...input, durationMs: performance.now() - run.startedAt}, host),
    ...(await environment()),
  }
  const message = buildMessage({
    event: 'command',
    instanceId: run.instanceId,
    messageId: await randomUuid(),
    properties,
    sessionId: await currentSessionId(run.paths.sessionFile),
    settings: run.settings,
  })
  const line = JSON.stringify(message)
  if (run.debug) {
    process.stderr.write(`[telemetry] ${line}\n`)
    return
  }

  const queued = appendLine(run.paths.queueDir, line, run.paths.statsFile)
  await startSenderIfDue(run.paths, run.settings, queued)
}
