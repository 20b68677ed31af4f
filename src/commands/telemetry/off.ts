import {Command} from '@oclif/core'

import {type SwitchResult, switchTelemetry} from '../../config/switch.js'
import {telemetryContext} from '../../runtime/context.js'

export interface OffResult extends Omit<SwitchResult, 'previous'> {
  configFile: string
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
    // Either file keeps every tool of the family off; only when neither could be written has nothing changed.
    if (change.configError && change.optOutFileError) {
      this.error(`Could not turn telemetry off: ${change.configError}; ${change.optOutFileError}.`, {exit: 1})
    }

    if (change.configError) this.warn(`Could not update ${change.configError}; the opt-out file keeps telemetry off.`)
    if (change.optOutFileError) this.warn(`Could not create the opt-out file ${change.optOutFileError}.`)
    if (change.backup)
      this.warn(`The shared config could not be used; it was rewritten (the old one is at ${change.backup}).`)
    const wasEnabled = previous.kind === 'ok' && previous.enabled
    this.log(`Telemetry is ${wasEnabled ? 'now' : 'already'} off for every ${settings.namespace} tool on this machine.`)
    if (change.deletedEvents > 0) this.log(`Deleted ${change.deletedEvents} event(s) that were waiting to be sent.`)
    return {...change, configFile: paths.configFile, enabled: false, optOutFile: paths.legacyOptOutFile, wasEnabled}
  }
}
