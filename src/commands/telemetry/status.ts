import {Command} from '@oclif/core'
import {accessSync, constants, existsSync, statfsSync, statSync} from 'node:fs'
import {dirname, join} from 'node:path'

import type {Rule} from '../../decision.js'
import type {Paths} from '../../paths.js'

import {describeWriteError} from '../../files.js'
import {localTime} from '../../local-time.js'
import {readDeletions} from '../../queue/deletions.js'
import {countPending} from '../../queue/queue.js'
import {readStats} from '../../queue/stats.js'
import {readUnkept, type Unkept} from '../../queue/unkept.js'
import {decideHere, telemetryContext} from '../../runtime/context.js'
import {backingOff} from '../../sender/backoff.js'
import {type LastFailure, readSchedule} from '../../sender/schedule.js'
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
  /** Why the last attempt to send failed, until one succeeds (times in ISO 8601, UTC). */
  lastFailure: LastFailure | null
  lastSent: null | string
  namespace: string
  /** Deletion requests not yet delivered to the collector (`telemetry delete` while it could not be reached). */
  pendingDeletions: Array<{instanceId: string; requestedAt: string}>
  product: string
  queued: number
  reason: string
  rejected: number
  /** Why the collector refused events, in words, with how many each (the ten most recent reasons). */
  rejectedReasons: Array<{count: number; reason: string}>
  rule: Rule
  /** Events lost because they could not be written to the queue (a full disk): how many, the last when, and why. */
  unkept: null | (Unkept & {description: string})
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

/** Fewer free bytes than a few events take: appends are about to fail, or failing. */
const FULL_BYTES = 8 * 1024

function freeBytes(dir: string): number | undefined {
  let existing = dir
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing)
  try {
    const {bavail, bsize} = statfsSync(existing)
    return bavail * bsize
  } catch {
    return undefined
  }
}

/** When an event was last appended to the queue (0: none waits). */
function lastAppend(paths: Paths): number {
  try {
    return statSync(join(paths.queueDir, 'current.jsonl')).mtimeMs
  } catch {
    return 0
  }
}

/** What cannot be written where telemetry is on, or about to be: it would record nothing, silently. */
function unwritable(
  {enabled, rule}: {enabled: boolean; rule: Rule},
  paths: Paths,
  unkept: StatusResult['unkept'],
): string[] {
  const warnings: string[] = []
  if (rule === 'first-run' && !canWrite(paths.configDir))
    warnings.push(`The config directory ${paths.configDir} cannot be written: the shared config cannot be created.`)
  if (enabled && !canWrite(paths.cacheDir))
    warnings.push(`The cache directory ${paths.cacheDir} cannot be written: commands are not recorded.`)
  const free = enabled ? freeBytes(paths.cacheDir) : undefined
  if (free !== undefined && free < FULL_BYTES)
    warnings.push(`The disk holding ${paths.cacheDir} is full (${free} bytes free): events cannot be kept.`)
  // Lost since the last event that was kept: still failing, most likely.
  else if (unkept && Date.parse(unkept.last) > lastAppend(paths))
    warnings.push(
      `Events could not be kept: ${unkept.count} event(s) were lost (${unkept.description}), the last at ${localTime(unkept.last)}.`,
    )
  return warnings
}

function describeUnkept(unkept: undefined | Unkept): StatusResult['unkept'] {
  if (!unkept) return null
  const words =
    unkept.code === 'ENOSPC'
      ? 'the disk is full'
      : unkept.code === 'EDQUOT'
        ? 'the disk quota is used up'
        : `the queue ${describeWriteError({code: unkept.code})}`
  return {...unkept, description: words}
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
    const unkept = describeUnkept(readUnkept(paths.cacheDir))
    const result: StatusResult = {
      backoffUntil: backingOff(schedule) ? (schedule.backoffUntil ?? null) : null,
      configFile: paths.configFile,
      debug: debugMode(process.env, settings.envPrefix),
      dropped: stats.dropped,
      enabled: decision.enabled,
      endpoint: settings.endpoint ?? null,
      instanceId: sharedConfig.kind === 'ok' ? sharedConfig.instanceId : null,
      lastFailure: schedule.lastFailure ?? null,
      lastSent: stats.lastSent ?? null,
      namespace: settings.namespace,
      pendingDeletions: readDeletions(paths.deletionsFile).pending,
      product: settings.product,
      queued: countPending(paths.queueDir),
      reason: decision.reason,
      rejected: stats.rejected,
      rejectedReasons: stats.rejectedReasons,
      rule: decision.rule,
      unkept,
      warnings: unwritable(decision, paths, unkept),
    }
    const {bin} = this.config
    // A refused endpoint is configured, just not used: "none configured" after it would tell another story.
    const endpoint = settings.endpoint
      ? `${settings.endpoint} (from ${settings.endpointSource})`
      : settings.endpointError
        ? `refused, ${settings.endpointError} (from ${settings.endpointSource})`
        : 'none configured'
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
    for (const line of deliveryLines(result)) this.log(line)
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

/** What became of the events sent: refused and why, the last delivery, the last failure, the next attempt. */
function deliveryLines(result: StatusResult): string[] {
  const lines: string[] = []
  for (const {count, reason} of result.rejectedReasons) lines.push(`  Refused:       ${count} event(s): ${reason}`)
  const {unkept} = result
  if (unkept)
    lines.push(
      `  Not kept:      ${unkept.count} event(s) could not be written to the queue (${unkept.description}), the last at ${localTime(unkept.last)}`,
    )
  lines.push(`  Last sent:     ${result.lastSent ? localTime(result.lastSent) : 'never'}`)
  if (result.lastFailure)
    lines.push(`  Last failure:  ${localTime(result.lastFailure.at)}: ${result.lastFailure.description}`)
  if (result.backoffUntil) lines.push(`  Next attempt:  after ${localTime(result.backoffUntil)}`)
  return lines
}
