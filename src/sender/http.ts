// The only module that loads `got` (about 90 ms): the background sender and `flush`/`delete`.
import {got, type Response} from 'got'
import {gzipSync} from 'node:zlib'

import {parseRetryAfter} from './backoff.js'

export type Outcome =
  | {kind: 'drop'; reason: string; status: number}
  | {kind: 'ok'; status: number}
  | {kind: 'retry'; reason: string; retryAfterMs?: number; status?: number}

export const REQUEST_TIMEOUT_MS = 10_000

const USER_AGENT = 'oclif-plugin-telemetry'

function classify(response: Response<string>): Outcome {
  const status = response.statusCode
  if (status >= 200 && status < 300) return {kind: 'ok', status}
  const header = response.headers['retry-after']
  const retryAfterMs = parseRetryAfter(Array.isArray(header) ? header[0] : header)
  // 3xx too: a redirect is a misconfigured endpoint, not a refusal of these events.
  if (status === 429 || status >= 500 || status < 400)
    return {kind: 'retry', reason: `HTTP ${status}`, retryAfterMs, status}
  return {kind: 'drop', reason: `HTTP ${status}`, status}
}

function failure(error: unknown): Outcome {
  const {code, name} = error as {code?: string; name?: string}
  return {kind: 'retry', reason: code ?? name ?? 'request failed'}
}

/** POSTs messages, gzip-compressed, as the JSON array the collector takes. Never throws. */
export async function postBatch(endpoint: string, lines: string[], timeoutMs = REQUEST_TIMEOUT_MS): Promise<Outcome> {
  try {
    const response = await got.post(`${endpoint}/events`, {
      body: gzipSync(`[${lines.join(',')}]`),
      followRedirect: false,
      headers: {'content-encoding': 'gzip', 'content-type': 'application/json', 'user-agent': USER_AGENT},
      retry: {limit: 0},
      throwHttpErrors: false,
      timeout: {request: timeoutMs},
    })
    return classify(response)
  } catch (error) {
    return failure(error)
  }
}

/** Asks the collector to delete everything stored for an instance. A 404 means there is nothing to delete. */
export async function deleteInstance(
  endpoint: string,
  instanceId: string,
  timeoutMs = REQUEST_TIMEOUT_MS,
): Promise<Outcome> {
  try {
    const response = await got.delete(`${endpoint}/instances/${encodeURIComponent(instanceId)}`, {
      followRedirect: false,
      headers: {'user-agent': USER_AGENT},
      retry: {limit: 0},
      throwHttpErrors: false,
      timeout: {request: timeoutMs},
    })
    const outcome = classify(response)
    return response.statusCode === 404 ? {kind: 'ok', status: 404} : outcome
  } catch (error) {
    return failure(error)
  }
}
