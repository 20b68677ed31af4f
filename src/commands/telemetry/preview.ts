import {Command} from '@oclif/core'

import {readDeletions} from '../../queue/deletions.js'
import {readStats} from '../../queue/stats.js'
import {waitingMessages} from '../../queue/waiting.js'
import {decideHere, telemetryContext} from '../../runtime/context.js'

export interface PreviewResult {
  /** Damaged lines of the queue, which are dropped, never sent. */
  corrupt: number
  enabled: boolean
  /** The messages waiting, oldest first, as they will be sent. */
  events: Array<Record<string, unknown>>
  /** When the collector last accepted a batch (ISO 8601), or null. */
  lastSent: null | string
  reason: string
  /** Events under a deleted instance id: never sent. */
  retired: number
  /** Events the collector has accepted from this machine so far. */
  sent: number
  waiting: number
}

export default class Preview extends Command {
  static override description =
    'Print the usage data waiting to be sent, exactly as it will be sent: one JSON message a line on stdout; how many were sent, and when, on stderr.'
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  async run(): Promise<PreviewResult> {
    await this.parse(Preview)
    const context = telemetryContext(this.config)
    const {paths} = context
    const decision = await decideHere(context)
    const waiting = waitingMessages(paths.queueDir, readDeletions(paths.deletionsFile).retired)
    const stats = readStats(paths.statsFile)
    // Only the messages go to stdout, so that it can be piped to jq or a file as it is.
    for (const line of waiting.lines) this.log(line)
    const n = waiting.lines.length
    this.logToStderr(
      n === 0
        ? 'No events waiting to be sent.'
        : `${n} event(s) waiting to be sent, printed above as they will be sent.`,
    )
    this.logToStderr(
      stats.sent === 0 && !stats.lastSent
        ? 'None sent yet.'
        : `Sent so far: ${stats.sent} event(s); last sent ${stats.lastSent ?? 'at an unknown time'}.`,
    )
    if (waiting.retired > 0)
      this.logToStderr(`${waiting.retired} event(s) recorded under a deleted instance id are never sent.`)
    if (waiting.corrupt > 0) this.logToStderr(`${waiting.corrupt} damaged line(s) of the queue are dropped, not sent.`)
    if (!decision.enabled) this.logToStderr(`Telemetry is off: ${decision.reason}; nothing is sent while it is.`)
    return {
      corrupt: waiting.corrupt,
      enabled: decision.enabled,
      events: waiting.lines.map((line) => JSON.parse(line) as Record<string, unknown>),
      lastSent: stats.lastSent ?? null,
      reason: decision.reason,
      retired: waiting.retired,
      sent: stats.sent,
      waiting: n,
    }
  }
}
