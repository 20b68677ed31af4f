import {Command} from '@oclif/core'

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
    if (outcome.deletions > 0) this.log(`Delivered ${outcome.deletions} deletion request(s).`)
    if (outcome.stopped && outcome.stopped !== 'failure')
      this.log(`Nothing sent: telemetry is off: ${outcome.stoppedReason ?? outcome.stopped}.`)
    else this.log(`Sent ${outcome.sent} event(s) in ${outcome.batches} request(s) to ${endpoint}.`)
    if (outcome.rejected > 0) this.log(`The collector refused ${outcome.rejected} event(s); they were dropped.`)
    if (outcome.retired > 0) this.log(`Dropped ${outcome.retired} event(s) recorded under a deleted instance id.`)
    if (outcome.corrupt > 0) this.log(`Dropped ${outcome.corrupt} damaged line(s) of the queue.`)
    if (outcome.stopped === 'failure') {
      this.warn(
        `Could not deliver: ${outcome.error}. ${result.waiting} event(s) are kept; the background sender tries again after ${outcome.backoffUntil}.`,
      )
      process.exitCode = 1
    } else this.log(`${result.waiting} event(s) waiting.`)
    return result
  }
}
