import {Command} from '@oclif/core'

import {localTime} from '../../local-time.js'
import {countPending} from '../../queue/queue.js'
import {telemetryContext} from '../../runtime/context.js'
import {type DeliveryReport} from '../../sender/deliver.js'
import {deliverNow, withSenderLock} from '../../sender/foreground.js'
import {debugMode} from '../../variables.js'

export type FlushResult = DeliveryReport & {endpoint: string; waiting: number}

export default class Flush extends Command {
  static override description = 'Send the usage data waiting on this machine now, and say what happened.'
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> <%= command.id %>']

  async run(): Promise<FlushResult> {
    await this.parse(Flush)
    const {paths, settings} = telemetryContext(this.config)
    if (!settings.endpoint) {
      this.error(
        `Nothing to send to: ${settings.endpointError ? `the endpoint ${settings.endpointError}` : 'no endpoint is configured'}.`,
        {exit: 1},
      )
    }

    const {endpoint} = settings
    if (debugMode(process.env, settings.envPrefix)) {
      this.error(`Debug mode (${settings.envPrefix}_TELEMETRY_DEBUG) sends nothing: unset it to flush.`, {exit: 1})
    }

    const outcome = await withSenderLock(paths, () => deliverNow(paths, {...settings, endpoint}))
    if ('unwritable' in outcome) this.error(`Nothing sent: ${outcome.unwritable}.`, {exit: 1})
    if ('busy' in outcome) {
      this.error(
        `A background sender${outcome.busy ? ` (pid ${outcome.busy})` : ''} is still sending; try again in a minute.`,
        {exit: 1},
      )
    }

    const result: FlushResult = {...outcome, endpoint, waiting: countPending(paths.queueDir)}
    for (const line of summary(result)) this.log(line)
    if (outcome.stopped === 'failure') {
      const retry = outcome.backoffUntil ? ` after ${localTime(outcome.backoffUntil)}` : ''
      this.warn(
        `Could not deliver: ${outcome.errorDescription ?? outcome.error}. ${result.waiting} event(s) are kept; the background sender tries again${retry}.`,
      )
      process.exitCode = 1
    } else this.log(`${result.waiting} event(s) waiting.`)
    return result
  }
}

/** What happened, in words: why nothing went, when nothing did ("Sent 0 event(s)" said nothing of it). */
function summary(result: FlushResult): string[] {
  const lines: string[] = []
  if (result.deletions > 0) lines.push(`Delivered ${result.deletions} deletion request(s).`)
  const failed = result.stopped === 'failure'
  if (result.stopped && !failed)
    lines.push(`Nothing sent: telemetry is off: ${result.stoppedReason ?? result.stopped}.`)
  else if (failed && result.sent === 0 && result.rejected === 0)
    lines.push(`Nothing sent: ${result.errorDescription ?? result.error}.`)
  else if (result.sent === 0 && result.rejected === 0) lines.push('Nothing to send: no event was waiting.')
  else lines.push(`Sent ${result.sent} event(s) in ${result.batches} request(s) to ${result.endpoint}.`)
  if (result.rejected > 0) {
    const why = result.rejectedReasons.map(({count, reason}) => `${reason} (${count})`).join('; ')
    lines.push(`The collector refused ${result.rejected} event(s), which were dropped: ${why}.`)
  }

  if (result.retired > 0) lines.push(`Dropped ${result.retired} event(s) recorded under a deleted instance id.`)
  if (result.corrupt > 0) lines.push(`Dropped ${result.corrupt} damaged line(s) of the queue.`)
  return lines
}
