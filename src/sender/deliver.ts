/* eslint-disable no-await-in-loop -- one request at a time, in order, is the point */
// Sends what waits in the queue: deletion requests first, then events in batches, oldest first,
// one request at a time. Used by the background sender and by `telemetry flush`.
import type {Paths} from '../paths.js'
import type {Settings} from '../settings.js'

import {decide, maySendQueued, type Rule, turnedOff} from '../decision.js'
import {type ClaimedLine, claimNext, keepRemaining, readClaim} from '../queue/claim.js'
import {completeDeletion, readDeletions} from '../queue/deletions.js'
import {clearQueue} from '../queue/queue.js'
import {updateStats} from '../queue/stats.js'
import {backingOff, backoffMs} from './backoff.js'
import {describeFailure} from './failure-words.js'
import {deleteInstance, postBatch, REQUEST_TIMEOUT_MS, type ResponseOutcome} from './http.js'
import {describeRefusal} from './refusal-words.js'
import {readSchedule, updateSchedule} from './schedule.js'

export const BATCH_SIZE = 100
/** Well under the collector's 1 MiB per request. */
export const BATCH_BYTES = 512 * 1024

export interface Reason {
  count: number
  reason: string
}

/** Adds `count` events refused for `reason`, the newest reason last. */
export function addReason(reasons: Reason[], reason: string, count = 1): void {
  const known = reasons.find((r) => r.reason === reason)
  if (known) known.count += count
  else reasons.push({count, reason})
}

export interface DeliveryOptions {
  env: NodeJS.ProcessEnv
  /** `flush` sends now even while backing off; the background sender waits. */
  ignoreBackoff: boolean
  log: (entry: Record<string, unknown>) => void
  paths: Paths
  settings: Settings
  timeoutMs?: number
}

export interface DeliveryReport {
  backoffUntil?: string
  batches: number
  /** Lines of the queue that were not messages (a damaged file): dropped. */
  corrupt: number
  /** Deletion requests the collector acknowledged (2xx, or 404: nothing stored). */
  deletions: number
  /** Deletion requests the collector refused (4xx other than 429 and 404): dropped, and said. */
  deletionsRefused: number
  /** What the last request failed with (ENOTFOUND, HTTP 503), and the same in words. */
  error?: string
  errorDescription?: string
  /** The collector's deletion id for each deletion request it acknowledged (null: it kept nothing to delete, or gave none). */
  receipts: Array<{deletionId: null | string; instanceId: string}>
  /** Events refused by the collector, in a 4xx answer or one by one inside a 200: dropped. */
  rejected: number
  /** Why, in words, with how many events each. */
  rejectedReasons: Reason[]
  /** Events under an instance id whose deletion was requested: never sent. */
  retired: number
  sent: number
  /** Why sending stopped early: backing off, a failed request, or the rule that turned telemetry off. */
  stopped?: 'backoff' | 'failure' | Rule
  /** When a rule stopped it: the decision's reason (docs/decision.md). */
  stoppedReason?: string
}

/**
 * Telemetry may have been turned off since the events were recorded: the decision is asked again
 * before every request. Returns the rule that stops sending, if any.
 */
async function gate({env, paths, settings}: DeliveryOptions): Promise<undefined | {reason: string; rule: Rule}> {
  const decision = await decide({
    cwd: undefined,
    env,
    family: settings,
    paths: () => paths,
    settings: () => settings,
  })
  // No config yet (`first-run`): nothing may be sent before the notice was shown. In CI with no
  // config (`ci`), the events of the run are sent under its id.
  if (maySendQueued(decision)) return undefined
  // Turned off by the user: what waits is deleted, as `off` does. An environment opt-out or a broken config keeps it.
  if (!turnedOff(decision)) return decision
  clearQueue(paths.queueDir)
  return {reason: `${decision.reason} (the events waiting were deleted)`, rule: decision.rule}
}

function takeBatch(lines: ClaimedLine[]): ClaimedLine[] {
  let bytes = 0
  let n = 0
  while (n < lines.length && n < BATCH_SIZE && (n === 0 || bytes + lines[n].text.length < BATCH_BYTES)) {
    bytes += lines[n].text.length + 1
    n++
  }

  return lines.slice(0, n)
}

/** One run of delivery: its options, the endpoint it sends to, and the report it fills in. */
interface Run extends DeliveryOptions {
  endpoint: string
  report: DeliveryReport
}

type Failure = Extract<ResponseOutcome, {kind: 'retry'}>

/** Sends what waits: deletion requests, then the queue; then settles the schedule and the counters. */
export async function deliver(options: DeliveryOptions): Promise<DeliveryReport> {
  const {paths, settings} = options
  const report: DeliveryReport = {
    batches: 0,
    corrupt: 0,
    deletions: 0,
    deletionsRefused: 0,
    receipts: [],
    rejected: 0,
    rejectedReasons: [],
    retired: 0,
    sent: 0,
  }
  const schedule = readSchedule(paths.scheduleFile)
  if (!options.ignoreBackoff && backingOff(schedule)) {
    return {...report, backoffUntil: schedule.backoffUntil, stopped: 'backoff'}
  }

  if (!settings.endpoint) return {...report, stopped: 'no-endpoint', stoppedReason: 'no endpoint is configured'}
  updateSchedule(paths.scheduleFile, (s) => ({...s, lastAttempt: new Date().toISOString()}))
  const run: Run = {...options, endpoint: settings.endpoint, report}
  const failure = (await sendDeletions(run)) ?? (await sendQueue(run))
  // Stopped by a rule: nothing was attempted that failed, and the schedule stays as it is.
  if (!failure && report.stopped) return report
  return settle(run, failure)
}

/**
 * Deletion requests go first, whatever the decision (deleting one's data is not telemetry): no
 * event is sent before the collector has been told to forget. Returns the failure to retry, if any.
 */
async function sendDeletions({endpoint, log, paths, report, timeoutMs}: Run): Promise<Failure | undefined> {
  for (const {instanceId} of readDeletions(paths.deletionsFile).pending) {
    const outcome = await deleteInstance(endpoint, instanceId, timeoutMs)
    if (outcome.kind === 'retry') return outcome
    completeDeletion(paths.deletionsFile, instanceId)
    if (outcome.kind === 'ok') {
      report.deletions++
      report.receipts.push({deletionId: outcome.deletionId, instanceId})
      log({deletion_id: outcome.deletionId, event: 'deletion acknowledged', status: outcome.status})
    } else {
      report.deletionsRefused++
      log({event: 'deletion refused', status: outcome.status})
    }
  }

  if (report.deletions + report.deletionsRefused > 0)
    updateSchedule(paths.scheduleFile, (s) => ({...s, deletionPending: false}))
  return undefined
}

/**
 * Sends the queue in batches, oldest first, asking the decision again before each request. Returns
 * the failure to retry, if any; a rule that stops sending is set on the report.
 */
async function sendQueue(run: Run): Promise<Failure | undefined> {
  const {endpoint, paths, report, timeoutMs} = run
  if (await stoppedByRule(run)) return undefined
  const retired = new Set(readDeletions(paths.deletionsFile).retired)
  for (let file = await claimNext(paths.queueDir); file; file = await claimNext(paths.queueDir)) {
    const claim = readClaim(file)
    report.corrupt += claim.corrupt
    let lines = claim.lines.filter((line) => !retired.has(line.instanceId))
    report.retired += claim.lines.length - lines.length
    while (lines.length > 0) {
      if (await stoppedByRule(run)) return undefined
      const batch = takeBatch(lines)
      const outcome = await postBatch(
        endpoint,
        batch.map((line) => line.text),
        timeoutMs,
      )
      if (outcome.kind === 'retry') {
        keepRemaining(file, lines)
        return outcome
      }

      lines = lines.slice(batch.length)
      keepRemaining(file, lines)
      // A 200 stores the valid messages and lists the others in `rejected`: those were not sent.
      for (const {index, reason} of outcome.refused)
        addReason(report.rejectedReasons, describeRefusal(reason, batch[index].text, outcome.serverTime))
      if (outcome.kind === 'ok') {
        report.sent += batch.length - outcome.refused.length
        report.rejected += outcome.refused.length
        report.batches++
        if (outcome.refused.length > 0) run.log({count: outcome.refused.length, event: 'events refused'})
      } else {
        report.rejected += batch.length
        const rest = batch.length - outcome.refused.length
        if (rest > 0)
          addReason(report.rejectedReasons, `the collector refused the whole request (${outcome.reason})`, rest)
        run.log({count: batch.length, event: 'batch refused', reason: outcome.reason})
      }
    }

    keepRemaining(file, [])
  }

  return undefined
}

/** Asks the decision again (see gate); when a rule stops sending, says so on the report and in the log. */
async function stoppedByRule(run: Run): Promise<boolean> {
  const closed = await gate(run)
  if (!closed) return false
  run.log({event: 'stopped', rule: closed.rule})
  run.report.stopped = closed.rule
  run.report.stoppedReason = closed.reason
  return true
}

/** The reasons kept for `status`: counted over time, the ten most recent. */
function mergeReasons(kept: Reason[], added: Reason[]): Reason[] {
  const merged = kept.map((r) => ({...r}))
  for (const {count, reason} of added) {
    const known = merged.findIndex((r) => r.reason === reason)
    const before = known === -1 ? 0 : merged.splice(known, 1)[0].count
    merged.push({count: before + count, reason})
  }

  return merged.slice(-10)
}

/**
 * Records how the run ended in the sender's schedule: after a failure, the next backoff; after a
 * success, none. Counts what was dropped or refused either way.
 */
function settle({endpoint, log, paths, report, timeoutMs}: Run, failure: Failure | undefined): DeliveryReport {
  updateStats(paths.statsFile, (s) => ({
    ...s,
    dropped: s.dropped + report.corrupt,
    lastSent: report.sent > 0 ? new Date().toISOString() : s.lastSent,
    rejected: s.rejected + report.rejected,
    rejectedReasons: mergeReasons(s.rejectedReasons, report.rejectedReasons),
    sent: s.sent + report.sent,
  }))
  if (failure) {
    const description = describeFailure(endpoint, failure.reason, timeoutMs ?? REQUEST_TIMEOUT_MS)
    const {backoffUntil} = updateSchedule(paths.scheduleFile, (s) => {
      const failures = s.failures + 1
      return {
        ...s,
        backoffUntil: new Date(Date.now() + backoffMs(failures, failure.retryAfterMs)).toISOString(),
        failures,
        lastFailure: {at: new Date().toISOString(), description, error: failure.reason},
      }
    })
    log({backoffUntil, event: 'retry later', reason: failure.reason})
    return {...report, backoffUntil, error: failure.reason, errorDescription: description, stopped: 'failure'}
  }

  updateSchedule(paths.scheduleFile, (s) => ({...s, backoffUntil: undefined, failures: 0, lastFailure: undefined}))
  log({batches: report.batches, event: 'delivered', rejected: report.rejected, sent: report.sent})
  return report
}
