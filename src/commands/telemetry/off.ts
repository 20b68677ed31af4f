import {Command} from '@oclif/core'

import {clearQueue} from '../../queue/queue.js'
import {telemetryContext} from '../../runtime/context.js'
import {type SwitchResult, switchTelemetry} from '../../shared-config/switch.js'

export interface OffResult extends Omit<SwitchResult, 'previous'> {
  configFile: string
  /** Events that were waiting and are now deleted. */
  deletedEvents: number
  enabled: false
  optOutFile: string
  wasEnabled: boolean
}

export default class Off extends Command {
  // The word Next.js, Gatsby and other tools use for the same switch.
  static override aliases = ['telemetry:disable']
  static override description =
    'Stop collecting anonymous usage data, for every tool of this family, and delete events not yet sent.'
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> <%= command.id %>']

  async run(): Promise<OffResult> {
    await this.parse(Off)
    const {paths, settings} = telemetryContext(this.config)
    const {previous, ...change} = await switchTelemetry(paths, settings, false)
    const deletedEvents = deleteWaitingEvents(paths.queueDir)
    // Either file keeps every tool of the family off; only when neither could be written has nothing changed.
    if (change.configError && change.optOutFileError) {
      this.error(`Could not turn telemetry off: ${change.configError}; ${change.optOutFileError}.`, {exit: 1})
    }

    if (change.configError) this.warn(`Could not update ${change.configError}; the opt-out file keeps telemetry off.`)
    if (change.optOutFileError) this.warn(`Could not create the opt-out file ${change.optOutFileError}.`)
    if (change.backup)
      this.warn(`The shared config could not be used; it was rewritten (the old one is at ${change.backup}).`)
    // No config yet means on by default: a first command of `off` turns it off, it was not off already.
    const wasEnabled = previous.kind === 'missing' || (previous.kind === 'ok' && previous.enabled)
    this.log(`Telemetry is ${wasEnabled ? 'now' : 'already'} off for every ${settings.namespace} tool on this machine.`)
    if (deletedEvents > 0) this.log(`Deleted ${deletedEvents} event(s) that were waiting to be sent.`)
    return {
      ...change,
      configFile: paths.configFile,
      deletedEvents,
      enabled: false,
      optOutFile: paths.legacyOptOutFile,
      wasEnabled,
    }
  }
}

function deleteWaitingEvents(queueDir: string): number {
  try {
    return clearQueue(queueDir)
  } catch {
    // Whatever could not be deleted is never sent: the sender asks the decision before every request.
    return 0
  }
}
