import {Command} from '@oclif/core'
import {accessSync, constants, existsSync} from 'node:fs'
import {dirname} from 'node:path'

import type {Rule} from '../../decision.js'
import type {Paths} from '../../paths.js'

import {readDeletions} from '../../queue/deletions.js'
import {countPending} from '../../queue/queue.js'
import {readStats} from '../../queue/stats.js'
import {decideHere, telemetryContext} from '../../runtime/context.js'
import {backingOff} from '../../sender/backoff.js'
import {readSchedule} from '../../sender/schedule.js'
import {loadSharedConfig} from '../../shared-config/load.js'
import {debugMode} from '../../variables.js'

export interface StatusResult {
  backoffUntil: null | string
  configFile: string
  debug: boolean
  dropped: number
  enabled: boolean
  endpoint: null | string
  instanceId: null | string
  lastSent: null | string
  namespace: string
  /** Deletion requests not yet delivered to the collector (`telemetry delete` while it could not be reached). */
  pendingDeletions: Array<{instanceId: string; requestedAt: string}>
  product: string
  queued: number
  reason: string
  rejected: number
  rule: Rule
  /** What keeps telemetry from working as its decision says (a directory that cannot be written). */
  warnings: string[]
}

/** Whether `dir` can be written, or made where it does not exist yet. */
function canWrite(dir: string): boolean {
  let existing = dir
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing)
  try {
    accessSync(existing, constants.W_OK)
    return true
  } catch {
    return false
  }
}

/** What cannot be written where telemetry is on, or about to be: it would record nothing, silently. */
function unwritable({enabled, rule}: {enabled: boolean; rule: Rule}, paths: Paths): string[] {
  const warnings: string[] = []
  if (rule === 'first-run' && !canWrite(paths.configDir))
    warnings.push(`The config directory ${paths.configDir} cannot be written: the shared config cannot be created.`)
  if (enabled && !canWrite(paths.cacheDir))
    warnings.push(`The cache directory ${paths.cacheDir} cannot be written: commands are not recorded.`)
  return warnings
}

export default class Status extends Command {
  static override description = 'Show whether anonymous usage data is collected, and why.'
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  async run(): Promise<StatusResult> {
    await this.parse(Status)
    const {paths, settings} = telemetryContext(this.config)
    const decision = await decideHere({paths, settings})
    // An opt-out decided before the config was read: still show the instance id it holds.
    const sharedConfig =
      decision.sharedConfig.kind === 'missing' ? await loadSharedConfig(paths) : decision.sharedConfig
    const stats = readStats(paths.statsFile)
    const schedule = readSchedule(paths.scheduleFile)
    const result: StatusResult = {
      backoffUntil: backingOff(schedule) ? (schedule.backoffUntil ?? null) : null,
      configFile: paths.configFile,
      debug: debugMode(process.env, settings.envPrefix),
      dropped: stats.dropped,
      enabled: decision.enabled,
      endpoint: settings.endpoint ?? null,
      instanceId: sharedConfig.kind === 'ok' ? sharedConfig.instanceId : null,
      lastSent: stats.lastSent ?? null,
      namespace: settings.namespace,
      pendingDeletions: readDeletions(paths.deletionsFile).pending,
      product: settings.product,
      queued: countPending(paths.queueDir),
      reason: decision.reason,
      rejected: stats.rejected,
      rule: decision.rule,
      warnings: unwritable(decision, paths),
    }
    const {bin} = this.config
    const endpoint = settings.endpoint ? `${settings.endpoint} (from ${settings.endpointSource})` : 'none configured'
    this.log(`Telemetry is ${result.enabled ? 'on' : 'off'} for ${settings.product}: ${decision.reason}.`)
    const noId =
      sharedConfig.kind === 'invalid'
        ? '(unknown: the config cannot be used)'
        : decision.rule === 'ci'
          ? "(none: this CI job's events carry an id of its run)"
          : '(none yet)'
    this.log(`  Instance id:   ${result.instanceId ?? noId}`)
    this.log(`  Config file:   ${result.configFile}`)
    this.log(
      `  Product:       ${settings.product} ${settings.cli.version} (${settings.namespace} tools share this decision)`,
    )
    this.log(`  Endpoint:      ${endpoint}`)
    this.log(
      `  Waiting:       ${result.queued} event(s); ${result.dropped} dropped (queue full, or damaged lines), ${result.rejected} refused by the collector`,
    )
    this.log(
      `  Last sent:     ${result.lastSent ?? 'never'}${result.backoffUntil ? `; retrying after ${result.backoffUntil}` : ''}`,
    )
    this.log(
      `  Deletions:     ${result.pendingDeletions.length === 0 ? 'none waiting' : `${result.pendingDeletions.length} request(s) waiting to be delivered, sent before any event:`}`,
    )
    for (const {instanceId, requestedAt} of result.pendingDeletions)
      this.log(`                 all data of instance ${instanceId}, asked ${requestedAt}`)
    this.log(
      `  Debug mode:    ${result.debug ? `on: events are printed to stderr, not sent` : `off (${settings.envPrefix}_TELEMETRY_DEBUG=1 prints events instead of sending them)`}`,
    )
    for (const warning of result.warnings) this.warn(warning)
    if (result.enabled) this.log(`Opt out: ${bin} telemetry off   (or set DO_NOT_TRACK=1)`)
    return result
  }
}
