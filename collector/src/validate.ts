import {Ajv, type ErrorObject} from 'ajv'

import {MAX_DEPTH, MAX_FUTURE_MS, MAX_MESSAGE_BYTES, MAX_MESSAGES_PER_REQUEST, MIN_TIMESTAMP_MS} from './limits.js'
import {messageSchema} from './schema/index.js'
import {type PreparedMessage, prepareMessage, type TelemetryMessage} from './store/message.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-](\d{2}):(\d{2}))$/

/** RFC 3339 `date-time` (section 5.6) with calendar checks; leap seconds (:60) are not accepted. */
export function isRfc3339DateTime(value: string): boolean {
  const m = DATE_TIME.exec(value)
  if (!m) return false
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number)
  if (month < 1 || month > 12 || day < 1) return false
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
  if (day > days || hour > 23 || minute > 59 || second > 59) return false
  if (m[9] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return false
  return !Number.isNaN(Date.parse(value.toUpperCase().replace(' ', 'T')))
}

const ajv = new Ajv({allErrors: true, strict: true})
ajv.addFormat('uuid', UUID)
ajv.addFormat('date-time', {type: 'string', validate: isRfc3339DateTime})
const validateSchema = ajv.compile<TelemetryMessage>(messageSchema)

export interface Rejection {
  index: number
  reason: string
}

export interface BatchCheck {
  /** Number of messages in the request (1 for a single object). */
  count: number
  rejected: Rejection[]
  valid: PreparedMessage[]
}

/** Thrown when the whole request is refused: `statusCode` is 400 or 413. */
export class RequestRejected extends Error {
  constructor(
    readonly statusCode: 400 | 413,
    message: string,
  ) {
    super(message)
  }
}

function describe(error: ErrorObject): string {
  const where = error.instancePath === '' ? 'message' : error.instancePath.slice(1).replaceAll('/', '.')
  switch (error.keyword) {
    case 'additionalProperties': {
      return `${where}: unknown field ${JSON.stringify(String(error.params.additionalProperty).slice(0, 64))}`
    }

    case 'format': {
      return error.params.format === 'uuid'
        ? `${where}: must be a UUID`
        : `${where}: must be an RFC 3339 date-time with a time zone`
    }

    case 'required': {
      return `${where}: missing required field ${JSON.stringify(error.params.missingProperty)}`
    }

    default: {
      return `${where}: ${error.message ?? 'is invalid'}`
    }
  }
}

/** `\u0000` or `\ud800`-`\udfff` preceded by an even number of backslashes. */
const UNSTORABLE_ESCAPE = /(?<!\\)(?:\\\\)*\\u(?:0000|d[89a-f])/i

function stringProblem(value: string): string | undefined {
  if (value.includes('\u0000')) return 'U+0000 (NUL)'
  if (!value.isWellFormed()) return 'an unpaired UTF-16 surrogate'
  return undefined
}

/** The first problem found in a string or field name: NUL (U+0000) or an unpaired UTF-16 surrogate. */
function findUnstorableString(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') {
    const problem = stringProblem(value)
    return problem && `${path}: contains ${problem}, which cannot be stored`
  }

  if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const keyProblem = Array.isArray(value) ? undefined : stringProblem(key)
      if (keyProblem) return `${path || 'message'}: a field name contains ${keyProblem}, which cannot be stored`
      const problem = findUnstorableString(
        child,
        Array.isArray(value) ? `${path}[${key}]` : path ? `${path}.${key}` : key,
      )
      if (problem) return problem
    }
  }

  return undefined
}

/**
 * One walk over a parsed message: `deep` when objects and arrays nest deeper than `limit` (a bare
 * object is depth 1), `nonFinite` when a number is not (JSON.parse reads `1e999` as Infinity, which
 * JSON.stringify would silently store as null). Iterative: JSON.parse accepts any depth, but
 * JSON.stringify and every recursive walk overflow the stack at a few thousand levels, so this runs
 * before anything recursive sees the message. No path is built here: most messages have no problem.
 */
export function scanValues(value: unknown, limit: number): {deep: boolean; nonFinite: boolean} {
  const nodes: unknown[] = [value]
  const depths: number[] = [1]
  let nonFinite = false
  while (nodes.length > 0) {
    const node = nodes.pop()
    const depth = depths.pop()!
    if (typeof node === 'number') {
      if (!Number.isFinite(node)) nonFinite = true
      continue
    }

    if (node === null || typeof node !== 'object') continue
    if (depth > limit) return {deep: true, nonFinite}
    // `in` over a parsed object lists its own keys ("__proto__" among them); arrays by index.
    if (Array.isArray(node)) {
      for (const child of node) {
        nodes.push(child)
        depths.push(depth + 1)
      }
    } else {
      for (const key in node) {
        if (Object.hasOwn(node, key)) {
          nodes.push((node as Record<string, unknown>)[key])
          depths.push(depth + 1)
        }
      }
    }
  }

  return {deep: false, nonFinite}
}

/**
 * The path of the first number that is not finite (see scanValues, which found one). Recursive:
 * depth is already bounded.
 */
function findNonFinite(value: unknown, path: string): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : path || 'message'
  if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const found = findNonFinite(child, Array.isArray(value) ? `${path}[${key}]` : path ? `${path}.${key}` : key)
      if (found) return found
    }
  }

  return undefined
}

/** Validate one message; returns the row to store or the reason it is rejected. */
export function checkMessage(message: unknown, now = Date.now()): PreparedMessage | string {
  const scan = scanValues(message, MAX_DEPTH)
  if (scan.deep) return `message: nested more than ${MAX_DEPTH} levels deep`
  const json = JSON.stringify(message)
  const bytes = Buffer.byteLength(json)
  if (bytes > MAX_MESSAGE_BYTES) return `message is ${bytes} bytes, over the limit of ${MAX_MESSAGE_BYTES} bytes`
  if (!validateSchema(message)) {
    const errors = validateSchema.errors ?? []
    return (
      errors
        .slice(0, 5)
        .map((e) => describe(e))
        .join('; ') || 'message: is invalid'
    )
  }

  // JSON.stringify writes NUL and unpaired surrogates as \u escapes: one scan of the text finds
  // them (an escaped backslash before "u" does not count); the walk then names the field.
  if (UNSTORABLE_ESCAPE.test(json)) {
    const unstorable = findUnstorableString(message, '')
    if (unstorable) return unstorable
  }

  if (scan.nonFinite) return `${findNonFinite(message, '') ?? 'message'}: must be a finite number`
  const time = Date.parse(message.timestamp.toUpperCase().replace(' ', 'T'))
  if (time - now > MAX_FUTURE_MS) return 'timestamp: more than 24 hours in the future'
  if (time < MIN_TIMESTAMP_MS) return 'timestamp: before 2000-01-01'
  return prepareMessage(message, json)
}

/** Validate a parsed request body: one message or an array of messages. */
export function checkBatch(body: unknown, now = Date.now()): BatchCheck {
  const messages = Array.isArray(body) ? body : [body]
  if (messages.length > MAX_MESSAGES_PER_REQUEST) {
    throw new RequestRejected(
      413,
      `${messages.length} messages, over the limit of ${MAX_MESSAGES_PER_REQUEST} per request`,
    )
  }

  if (messages.length === 0) throw new RequestRejected(400, 'empty array: no message to store')
  const valid: PreparedMessage[] = []
  const rejected: Rejection[] = []
  for (const [index, message] of messages.entries()) {
    const result = checkMessage(message, now)
    if (typeof result === 'string') rejected.push({index, reason: result})
    else valid.push(result)
  }

  return {count: messages.length, rejected, valid}
}

export function isOversizeReason(reason: string): boolean {
  return reason.startsWith('message is ') && reason.includes('over the limit')
}
