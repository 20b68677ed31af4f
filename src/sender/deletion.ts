// The deletion protocol of `telemetry delete`: ask the collector to forget this machine, forget its
// waiting events, and start a new instance id, so that nothing links the old data and the new.
import {rmSync} from 'node:fs'

import type {Paths} from '../paths.js'
import type {Settings} from '../settings.js'
import type {SharedConfigState} from '../shared-config/validate.js'
import type {DeliveryReport} from './deliver.js'

import {describeWriteError} from '../files.js'
import {requestDeletion} from '../queue/deletions.js'
import {clearQueue} from '../queue/queue.js'
import {type Blocked, deliverNow, withSenderLock} from './foreground.js'
import {deletionRecord} from './http.js'
import {updateSchedule} from './schedule.js'

/** The collector's proof of a deletion it acknowledged. */
export interface Receipt {
  /** Where the collector's record of the deletion can be read (`GET <endpoint>/deletions/<id>`). */
  checkUrl: null | string
  /** The collector's id for this deletion; null when it held nothing to delete, or gave none. */
  deletionId: null | string
  /** How many stored events the collector deleted, when its record says. */
  eventsDeleted: null | number
}

export interface DeletionResult {
  /** The collector acknowledged the request (2xx, or 404: nothing stored). */
  acknowledged: boolean
  /** Events waiting on this machine, deleted unsent. */
  deletedEvents: number
  /** Why the request is not acknowledged: the collector refused it, or could not be reached (a code), and in words. */
  error: null | string
  errorDescription: null | string
  /** The new instance id, or null when the config could not be rewritten. */
  newInstanceId: null | string
  receipt: Receipt
  /** The collector refused the request (4xx other than 404 and 429): it is dropped. */
  refused: boolean
  /** Why the instance id could not be renewed, if it could not. */
  renewError: null | string
  /** Not delivered: it waits, and a background sender retries it before any event. */
  waiting: boolean
}

/**
 * Deletes everything of `instanceId`: queues the request, deletes the waiting events, rotates the
 * instance id and sends the request now. Under the sender lock: a background sender still sending old
 * events finishes first, and none starts until the request is queued and the old id retired.
 */
export async function deleteInstanceData(
  paths: Paths,
  settings: Settings & {endpoint: string},
  instanceId: string,
): Promise<Blocked | DeletionResult> {
  const {rotateInstanceId} = await import('../shared-config/yaml-file.js')
  const done = await withSenderLock(paths, async () => {
    requestDeletion(paths.deletionsFile, instanceId)
    updateSchedule(paths.scheduleFile, (s) => ({...s, deletionPending: true}))
    const deletedEvents = clearQueue(paths.queueDir)
    // The request stands even when the id cannot be renewed (a config linked to a file not the
    // user's is refused): the old id is retired, so nothing recorded under it is sent.
    let rotated: SharedConfigState
    try {
      rotated = rotateInstanceId(paths)
    } catch (error) {
      rotated = {kind: 'invalid', reason: `${paths.configFile}: ${describeWriteError(error)}`}
    }

    return {deletedEvents, report: await deliverNow(paths, settings), rotated}
  })
  if ('busy' in done || 'unwritable' in done) return done
  const {deletedEvents, report, rotated} = done
  // A new instance id starts a new session too.
  rmSync(paths.sessionFile, {force: true})
  const acknowledged = report.deletions > 0
  const refused = report.deletionsRefused > 0
  // Retried in the background now, as no recorded command may ever start a sender (telemetry off).
  const waiting = !acknowledged && !refused
  if (waiting) {
    // From the module that records commands, which holds the sender's start: one chunk fewer for them.
    const {startSender} = await import('../runtime/record.js')
    await startSender(paths, settings, true)
  }

  return {
    acknowledged,
    deletedEvents,
    error: acknowledged ? null : refused ? 'the collector refused the request' : (report.error ?? null),
    errorDescription: acknowledged
      ? null
      : refused
        ? 'the collector refused the request'
        : (report.errorDescription ?? null),
    newInstanceId: rotated.kind === 'ok' ? rotated.instanceId : null,
    receipt: await receiptOf(settings.endpoint, report, instanceId),
    refused,
    renewError: rotated.kind === 'invalid' ? rotated.reason : rotated.kind === 'missing' ? 'the config is gone' : null,
    waiting,
  }
}

/** The collector deletes at once today; its record of the deletion says how many events that was. */
async function receiptOf(endpoint: string, report: DeliveryReport, instanceId: string): Promise<Receipt> {
  const deletionId = report.receipts.find((r) => r.instanceId === instanceId)?.deletionId ?? null
  if (!deletionId) return {checkUrl: null, deletionId, eventsDeleted: null}
  const record = await deletionRecord(endpoint, deletionId)
  return {checkUrl: `${endpoint}/deletions/${deletionId}`, deletionId, eventsDeleted: record?.eventsDeleted ?? null}
}
