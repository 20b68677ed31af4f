// What waits in the queue, in the order the sender sends it and exactly as it sends it, for
// `telemetry preview`. Reads only: nothing is claimed, moved or rewritten.
import {join} from 'node:path'

import {readClaim} from './claim.js'
import {CURRENT, listSegments, SENDING} from './queue.js'

export interface Waiting {
  /** Lines that are not messages (a damaged file): the sender drops them. */
  corrupt: number
  /** The messages that will be sent, each the very text the sender puts in a batch, oldest first. */
  lines: string[]
  /** Messages under an instance id whose deletion was requested: the sender never sends them. */
  retired: number
}

/** The sender's order (sender/deliver.ts): a batch left being sent, the closed segments, then the current file. */
export function waitingMessages(queueDir: string, retiredIds: readonly string[]): Waiting {
  const files = [
    ...listSegments(join(queueDir, SENDING)).map((name) => join(queueDir, SENDING, name)),
    ...listSegments(queueDir).map((name) => join(queueDir, name)),
    join(queueDir, CURRENT),
  ]
  const retired = new Set(retiredIds)
  const waiting: Waiting = {corrupt: 0, lines: [], retired: 0}
  for (const file of files) {
    const claim = readClaim(file)
    waiting.corrupt += claim.corrupt
    for (const line of claim.lines) {
      if (retired.has(line.instanceId)) waiting.retired++
      else waiting.lines.push(line.text)
    }
  }

  return waiting
}
