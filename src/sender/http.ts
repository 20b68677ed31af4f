// The only module that loads `got` (about 90 ms): the background sender and `flush`/`delete`.
import {got, type Response} from 'got'
import {gzipSync} from 'node:zlib'

import {parseRetryAfter} from './backoff.js'

export type ResponseOutcome =
  | {kind: 'drop'; reason: string; status: number}
  | {kind: 'ok'; status: number}
  | {kind: 'retry'; reason: string; retryAfterMs?: number; status?: number}

/** Messages of a batch the collector refused, by their index in it, with its reason (POST /events). */
export interface Refused {
  index: number
  reason: string
}

/** The answer to a batch: with the messages refused inside it (a 200 stores the others), and the collector's clock. */
export type BatchOutcome = ResponseOutcome & {refused: Refused[]; serverTime?: number}

/** The collector's answer to a deletion request: its id is the user's receipt. */
export type DeletionOutcome =
  | {deletionId: null | string; kind: 'ok'; status: number}
  | {kind: 'drop'; reason: string; status: number}
  | {kind: 'retry'; reason: string; retryAfterMs?: number; status?: number}

export const REQUEST_TIMEOUT_MS = 10_000

const USER_AGENT = 'oclif-plugin-telemetry'

function classify(response: Response<string>): ResponseOutcome {
  const status = response.statusCode
  if (status >= 200 && status < 300) return {kind: 'ok', status}
  const header = response.headers['retry-after']
  const retryAfterMs = parseRetryAfter(Array.isArray(header) ? header[0] : header)
  // 3xx too: a redirect is a misconfigured endpoint, not a refusal of these events.
  if (status === 429 || status >= 500 || status < 400)
    return {kind: 'retry', reason: `HTTP ${status}`, retryAfterMs, status}
  return {kind: 'drop', reason: `HTTP ${status}`, status}
}

function failure(error: unknown): Extract<ResponseOutcome, {kind: 'retry'}> {
  const {code, name} = error as {code?: string; name?: string}
  return {kind: 'retry', reason: code ?? name ?? 'request failed'}
}

/** `rejected: [{index, reason}]` of the collector's answer, for indexes within the batch; none if it says none. */
function refusedIn(body: string, count: number): Refused[] {
  let rejected: unknown
  try {
    rejected = (JSON.parse(body) as {rejected?: unknown}).rejected
  } catch {
    return []
  }

  if (!Array.isArray(rejected)) return []
  const seen = new Set<number>()
  const refused: Refused[] = []
  for (const entry of rejected as Array<{index?: unknown; reason?: unknown}>) {
    const {index, reason} = entry ?? {}
    if (!Number.isInteger(index) || (index as number) < 0 || (index as number) >= count || seen.has(index as number))
      continue
    seen.add(index as number)
    refused.push({
      index: index as number,
      reason: typeof reason === 'string' ? reason.slice(0, 200) : 'no reason given',
    })
  }

  return refused
}

/** POSTs messages, gzip-compressed, as the JSON array the collector takes. Never throws. */
export async function postBatch(
  endpoint: string,
  lines: string[],
  timeoutMs = REQUEST_TIMEOUT_MS,
): Promise<BatchOutcome> {
  try {
    const response = await got.post(`${endpoint}/events`, {
      body: gzipSync(`[${lines.join(',')}]`),
      followRedirect: false,
      headers: {'content-encoding': 'gzip', 'content-type': 'application/json', 'user-agent': USER_AGENT},
      retry: {limit: 0},
      throwHttpErrors: false,
      timeout: {request: timeoutMs},
    })
    const outcome = classify(response)
    if (outcome.kind === 'retry') return {...outcome, refused: []}
    const date = Date.parse(response.headers.date ?? '')
    return {
      ...outcome,
      refused: refusedIn(response.body, lines.length),
      ...(Number.isNaN(date) ? {} : {serverTime: date}),
    }
  } catch (error) {
    return {...failure(error), refused: []}
  }
}

/** Asks the collector to delete everything stored for an instance. A 404 means there is nothing to delete. */
export async function deleteInstance(
  endpoint: string,
  instanceId: string,
  timeoutMs = REQUEST_TIMEOUT_MS,
): Promise<DeletionOutcome> {
  try {
    const response = await got.delete(`${endpoint}/instances/${encodeURIComponent(instanceId)}`, {
      followRedirect: false,
      headers: {'user-agent': USER_AGENT},
      retry: {limit: 0},
      throwHttpErrors: false,
      timeout: {request: timeoutMs},
    })
    if (response.statusCode === 404) return {deletionId: null, kind: 'ok', status: 404}
    const outcome = classify(response)
    return outcome.kind === 'ok' ? {...outcome, deletionId: deletionIdOf(response.body)} : outcome
  } catch (error) {
    return failure(error)
  }
}

const DELETION_ID = /^[\w-]{1,128}$/

function deletionIdOf(body: string): null | string {
  try {
    const id = (JSON.parse(body) as {deletion_id?: unknown}).deletion_id
    return typeof id === 'string' && DELETION_ID.test(id) ? id : null
  } catch {
    return null
  }
}

/** The collector's record of a deletion (`GET /deletions/:id`): how many events it deleted, if it says. */
export async function deletionRecord(
  endpoint: string,
  deletionId: string,
  timeoutMs = REQUEST_TIMEOUT_MS,
): Promise<undefined | {completedAt: null | string; eventsDeleted: null | number}> {
  try {
    const response = await got.get(`${endpoint}/deletions/${encodeURIComponent(deletionId)}`, {
      followRedirect: false,
      headers: {'user-agent': USER_AGENT},
      retry: {limit: 0},
      throwHttpErrors: false,
      timeout: {request: timeoutMs},
    })
    if (response.statusCode !== 200) return undefined
    const record = JSON.parse(response.body) as {completed_at?: unknown; events_deleted?: unknown}
    return {
      completedAt: typeof record.completed_at === 'string' ? record.completed_at : null,
      eventsDeleted: Number.isInteger(record.events_deleted) ? (record.events_deleted as number) : null,
    }
  } catch {
    return undefined
  }
}
