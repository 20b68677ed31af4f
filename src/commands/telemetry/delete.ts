import {Command, Flags} from '@oclif/core'
import {rmSync} from 'node:fs'
import {createInterface} from 'node:readline'

import {loadConfig} from '../../config/load.js'
import {requestDeletion} from '../../queue/deletions.js'
import {clearQueue} from '../../queue/queue.js'
import {updateStats} from '../../queue/stats.js'
import {telemetryContext} from '../../runtime/context.js'
import {type DeliveryReport} from '../../sender/deliver.js'
import {deliverNow, withSenderLock} from '../../sender/foreground.js'
import {deletionRecord} from '../../sender/http.js'
import {startSender} from '../../sender/start.js'

export interface DeleteResult {
  /** Whether the collector has acknowledged the request; if not, it waits in the queue. */
  acknowledged: boolean
  /** Where the collector's record of the deletion can be read (`GET <endpoint>/deletions/<id>`). */
  check_url: null | string
  /** The collector's id for this deletion: the receipt. Null until it is acknowledged. */
  deletion_id: null | string
  error: null | string
  /** How many stored events the collector deleted, when its record says (null: not known). */
  events_deleted: null | number
  /** How many events waiting in this machine's queue were deleted (never sent). */
  local_events_deleted: number
  newInstanceId: null | string
  oldInstanceId: string
}

/** The collector's proof of a deletion it acknowledged: its id, where to read it, how many events it deleted. */
async function receiptOf(
  endpoint: string,
  report: DeliveryReport,
  instanceId: string,
): Promise<{checkUrl: null | string; deletionId: null | string; eventsDeleted: null | number}> {
  const deletionId = report.receipts.find((r) => r.instanceId === instanceId)?.deletionId ?? null
  if (!deletionId) return {checkUrl: null, deletionId, eventsDeleted: null}
  // The collector deletes at once today; its record says how many events that was.
  const record = await deletionRecord(endpoint, deletionId)
  return {checkUrl: `${endpoint}/deletions/${deletionId}`, deletionId, eventsDeleted: record?.eventsDeleted ?? null}
}

export default class Delete extends Command {
  static override description = `Delete all usage data of this machine: on the collector, in the local queue, and start a new instance id.
If the collector cannot be reached, the request waits and is sent before anything else; nothing recorded under the old id is ever sent.`
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --yes']
  static override flags = {
    yes: Flags.boolean({char: 'y', description: 'Do not ask for confirmation.'}),
  }

  async run(): Promise<DeleteResult> {
    const {flags} = await this.parse(Delete)
    const {paths, settings} = telemetryContext(this.config)
    const config = await loadConfig(paths)
    if (config.kind === 'missing')
      this.error('Nothing to delete: no usage data was ever recorded on this machine.', {exit: 1})
    if (config.kind === 'invalid') {
      this.error(
        `The shared config ${paths.configFile} cannot be used: ${config.reason}. Its instance id is unknown.`,
        {exit: 1},
      )
    }

    if (!settings.endpoint)
      this.error('No endpoint is configured: nothing was ever sent, so there is nothing to delete.', {exit: 1})
    const oldInstanceId = config.instanceId
    if (
      !flags.yes &&
      !(await this.confirm(`Delete all usage data of instance ${oldInstanceId} from ${settings.endpoint}? (y/N) `))
    ) {
      this.error('Nothing deleted.', {exit: 1})
    }

    // Under the sender lock: a background sender still sending old events finishes first, and none
    // starts until the request is queued and the old id retired.
    const {rotateInstanceId} = await import('../../config/shared-config.js')
    const done = await withSenderLock(paths, async () => {
      requestDeletion(paths.deletionsFile, oldInstanceId)
      updateStats(paths.statsFile, (s) => ({...s, deletionPending: true}))
      const deletedEvents = clearQueue(paths.queueDir)
      const rotated = rotateInstanceId(paths)
      return {deletedEvents, report: await deliverNow(paths, settings), rotated}
    })
    if ('busy' in done)
      this.error('A background sender is still sending; try again in a minute. Nothing was deleted.', {exit: 1})
    const {deletedEvents, report, rotated} = done
    const acknowledged = report.deletions > 0
    const error = report.deletionsRefused > 0 ? 'the collector refused the request' : (report.error ?? null)
    // A new instance id starts a new session too: nothing links old and new data.
    rmSync(paths.sessionFile, {force: true})
    this.log(`Deleted ${deletedEvents} event(s) waiting on this machine; this machine now has a new instance id.`)
    const receipt = await receiptOf(settings.endpoint, report, oldInstanceId)
    if (acknowledged) {
      const count = receipt.eventsDeleted === null ? '' : ` (${receipt.eventsDeleted} event(s))`
      this.log(`The collector at ${settings.endpoint} deletes all data of instance ${oldInstanceId}${count}.`)
      if (receipt.checkUrl)
        this.log(`Receipt: deletion id ${receipt.deletionId}; check it at any time: GET ${receipt.checkUrl}`)
      else this.log('The collector held no data of this instance.')
    } else if (report.deletionsRefused > 0) {
      this.warn(`The collector at ${settings.endpoint} refused to delete instance ${oldInstanceId}; ask its operator.`)
      process.exitCode = 1
    } else {
      // Retried in the background now, as no recorded command may ever start a sender (telemetry off).
      await startSender(paths, settings, true)
      this.log(
        `The collector could not be reached (${error}). The deletion request waits and is retried in the background, ` +
          `before any other event; nothing recorded under the old instance id will be sent. ` +
          `"${this.config.bin} telemetry status" lists it until it is delivered.`,
      )
    }

    return {
      acknowledged,
      check_url: receipt.checkUrl,
      deletion_id: receipt.deletionId,
      error: acknowledged ? null : error,
      events_deleted: receipt.eventsDeleted,
      local_events_deleted: deletedEvents,
      newInstanceId: rotated.kind === 'ok' ? rotated.instanceId : null,
      oldInstanceId,
    }
  }

  private async confirm(question: string): Promise<boolean> {
    if (!process.stdin.isTTY) {
      this.error('Confirmation needed, and there is no terminal to ask: run again with --yes.', {exit: 2})
    }

    const rl = createInterface({input: process.stdin, output: process.stderr})
    const answer = await new Promise<string>((resolve) => {
      rl.question(question, resolve)
    })
    rl.close()
    return /^y(es)?$/i.test(answer.trim())
  }
}
