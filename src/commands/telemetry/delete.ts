import {Command, Flags} from '@oclif/core'
import {createInterface} from 'node:readline'

import {telemetryContext} from '../../runtime/context.js'
import {deleteInstanceData} from '../../sender/deletion.js'
import {loadSharedConfig} from '../../shared-config/load.js'

// camelCase, as every command's --json output (docs/users.md), though the collector's own API is snake_case.
export interface DeleteResult {
  /** Whether the collector has acknowledged the request; if not, it waits in the queue. */
  acknowledged: boolean
  /** Where the collector's record of the deletion can be read (`GET <endpoint>/deletions/<id>`). */
  checkUrl: null | string
  /** The user answered no to the question: nothing was deleted, and that is no error. */
  declined: boolean
  /** The collector's id for this deletion: the receipt. Null until it is acknowledged. */
  deletionId: null | string
  error: null | string
  /** The same, in words ("cannot resolve telemetry.example.com"). */
  errorDescription: null | string
  /** How many stored events the collector deleted, when its record says (null: not known). */
  eventsDeleted: null | number
  /** How many events waiting in this machine's queue were deleted (never sent). */
  localEventsDeleted: number
  newInstanceId: null | string
  oldInstanceId: string
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
    const config = await loadSharedConfig(paths)
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
      // Saying no is an answer, not a failure: exit 0.
      this.log('Nothing deleted.')
      return {
        acknowledged: false,
        checkUrl: null,
        declined: true,
        deletionId: null,
        error: null,
        errorDescription: null,
        eventsDeleted: null,
        localEventsDeleted: 0,
        newInstanceId: null,
        oldInstanceId,
      }
    }

    const {endpoint} = settings
    const done = await deleteInstanceData(paths, {...settings, endpoint}, oldInstanceId)
    if ('unwritable' in done) this.error(`Nothing was deleted: ${done.unwritable}.`, {exit: 1})
    if ('busy' in done)
      this.error('A background sender is still sending; try again in a minute. Nothing was deleted.', {exit: 1})
    const {receipt} = done
    if (done.renewError) {
      this.log(`Deleted ${done.deletedEvents} event(s) waiting on this machine.`)
      this.warn(
        `The instance id could not be renewed (${done.renewError}); nothing recorded under the old one will be sent.`,
      )
    } else
      this.log(
        `Deleted ${done.deletedEvents} event(s) waiting on this machine; this machine now has a new instance id.`,
      )
    if (done.acknowledged) {
      const count = receipt.eventsDeleted === null ? '' : ` (${receipt.eventsDeleted} event(s))`
      this.log(`The collector at ${endpoint} deletes all data of instance ${oldInstanceId}${count}.`)
      if (receipt.checkUrl)
        this.log(`Receipt: deletion id ${receipt.deletionId}; check it at any time: GET ${receipt.checkUrl}`)
      else this.log('The collector held no data of this instance.')
    } else if (done.refused) {
      this.warn(`The collector at ${endpoint} refused to delete instance ${oldInstanceId}; ask its operator.`)
      process.exitCode = 1
    } else {
      this.log(
        `The collector could not be reached: ${done.errorDescription ?? done.error}. The deletion request waits and is retried in the background, ` +
          `before any other event; nothing recorded under the old instance id will be sent. ` +
          `"${this.config.bin} telemetry status" lists it until it is delivered.`,
      )
    }

    return {
      acknowledged: done.acknowledged,
      checkUrl: receipt.checkUrl,
      declined: false,
      deletionId: receipt.deletionId,
      error: done.error,
      errorDescription: done.errorDescription,
      eventsDeleted: receipt.eventsDeleted,
      localEventsDeleted: done.deletedEvents,
      newInstanceId: done.newInstanceId,
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
