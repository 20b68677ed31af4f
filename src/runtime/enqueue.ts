// The one way an event is recorded, for the finally hook's `command` event and for track().
import type {RunState} from './run-state.js'

import {randomUuid} from '../events/ids.js'
import {buildMessage} from '../events/message.js'
import {appendLine} from '../queue/queue.js'
import {currentSessionId} from './session.js'

/**
 * Builds the message of `event` for this run and appends it to the queue; in debug mode prints it to
 * stderr instead. Returns the bytes now waiting in the queue's current file (0 in debug mode).
 */
export async function enqueue(run: RunState, event: string, properties: Record<string, unknown>): Promise<number> {
  const message = buildMessage({
    event,
    instanceId: run.instanceId,
    messageId: await randomUuid(),
    properties,
    sessionId: await currentSessionId(run.paths.sessionFile),
    settings: run.settings,
  })
  const line = JSON.stringify(message)
  if (run.debug) {
    run.write(`[telemetry] ${line}\n`)
    return 0
  }

  try {
    return appendLine(run.paths.queueDir, line, run.paths.statsFile)
  } catch (error) {
    // Lost (a full disk): the command goes on as ever, but `status` can say that events were not kept.
    const {noteUnkept} = await import('../queue/unkept.js')
    noteUnkept(run.paths.cacheDir, error)
    throw error
  }
}
