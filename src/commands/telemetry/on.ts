import {Command} from '@oclif/core'

import {decideHere, telemetryContext} from '../../runtime/context.js'
import {type SwitchResult, switchTelemetry} from '../../shared-config/switch.js'

export interface OnResult extends Omit<SwitchResult, 'deletedEvents' | 'previous'> {
  configFile: string
  /** Whether telemetry is now on; false when the environment or a repository file still keeps it off. */
  enabled: boolean
  reason: string
  wasEnabled: boolean
}

export default class On extends Command {
  // The word Next.js, Gatsby and other tools use for the same switch.
  static override aliases = ['telemetry:enable']
  static override description = 'Allow anonymous usage data to be collected, for every tool of this family.'
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> <%= command.id %>']

  async run(): Promise<OnResult> {
    await this.parse(On)
    const {paths, settings} = telemetryContext(this.config)
    const {backup, configError, optOutFileError, previous} = await switchTelemetry(paths, settings, true)
    if (configError) this.error(`Could not turn telemetry on: ${configError}.`, {exit: 1})
    const decision = await decideHere({paths, settings})
    const result: OnResult = {
      backup,
      configError,
      configFile: paths.configFile,
      enabled: decision.enabled,
      optOutFileError,
      reason: decision.reason,
      // As `off` says it: no config yet means on by default.
      wasEnabled: previous.kind === 'missing' || (previous.kind === 'ok' && previous.enabled),
    }
    if (backup) this.warn(`The shared config could not be used; it was rewritten (the old one is at ${backup}).`)
    if (optOutFileError) this.warn(`Could not remove the opt-out file ${optOutFileError}; it keeps telemetry off.`)
    if (decision.enabled) {
      this.log(
        previous.kind === 'missing'
          ? `Telemetry is on for every ${settings.namespace} tool on this machine (it was by default; the shared config now says so).`
          : result.wasEnabled
            ? 'Telemetry was already on; nothing changed.'
            : `Telemetry is now on for every ${settings.namespace} tool on this machine.`,
      )
    } else {
      this.log(`The shared config now allows telemetry, but it stays off: ${decision.reason}.`)
    }

    return result
  }
}
