/**
 * The compact raw-event form shared by both stores: typed columns, dictionary-coded strings, and
 * only what no column holds kept as JSON, so the message is stored once and rebuilt exactly.
 *
 * A dictionary column holds the value's string id, 0 for JSON null, SQL NULL when the field is
 * absent. A field whose value does not fit its column's type (a number where a string is expected,
 * a fractional duration) stays in `extra`, so decoding always gives back the message as received.
 */
/* eslint-disable no-bitwise -- flags of the bits column */
import {canonicalJson, type TelemetryMessage} from './message.js'

/** Columns holding a dictionary id. `flags` holds the JSON array, `context` the low-variety fields. */
export const DICT_COLUMNS = [
  'product',
  'version',
  'event',
  'command',
  'outcome',
  'error',
  'os',
  'arch',
  'ci',
  'node',
  'suggestion',
  'flags',
  'context',
] as const
export type DictColumn = (typeof DICT_COLUMNS)[number]

/** Integer columns: safe integers (tty as 0/1). */
export const INT_COLUMNS = ['duration', 'args', 'exit_code', 'unknown_flags', 'tty'] as const
export type IntColumn = (typeof INT_COLUMNS)[number]

/** Command-event properties held in a string column. */
const STRING_PROPS = ['command', 'outcome', 'error', 'os', 'arch', 'ci', 'node', 'suggestion'] as const
/** Property name of each integer column. */
const INT_PROPS: Record<Exclude<IntColumn, 'tty'>, string> = {
  args: 'args',
  duration: 'duration_ms',
  exit_code: 'exit_code',
  unknown_flags: 'unknown_flags',
}
/** Fields that vary little between events: stored together as one dictionary string. */
const CONTEXT_TOP = ['license_id', 'origin', 'message_version', 'payload_version', 'type', 'install_context'] as const
const CONTEXT_PROPS = ['os_release', 'cli', 'cli_version', 'plugin', 'plugin_version'] as const

/** Bits of the `bits` column. */
export const BIT_NO_MESSAGE_ID = 1
export const BIT_ANONYMOUS_ID_IS_INSTANCE = 2
export const BIT_NO_PROPERTIES = 4

/** A string column value before dictionary coding: undefined = absent (SQL NULL), null = JSON null. */
export type DictValue = null | string | undefined

export interface EncodedEvent {
  bits: number
  dict: Record<DictColumn, DictValue>
  /** JSON of what no column holds, or null. */
  extra: null | string
  /** Lower-case UUID. */
  instanceId: string
  ints: Record<IntColumn, null | number>
  /** Lower-case UUID (given or derived). */
  messageId: string
  /** Lower-case UUID or null. */
  sessionId: null | string
  /** Milliseconds since the epoch. */
  ts: number
}

type Json = Record<string, unknown>

const isSafeInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v)

/** Split a validated message into columns. `messageId` is the given or derived id. */
export function encodeMessage(message: TelemetryMessage, messageId: string): EncodedEvent {
  const top: Json = {...message}
  const payload: Json = {...message.payload}
  const props: Json | undefined = message.payload.properties ? {...message.payload.properties} : undefined
  let bits = 0
  const dict = Object.fromEntries(DICT_COLUMNS.map((c) => [c, undefined])) as Record<DictColumn, DictValue>
  const ints = Object.fromEntries(INT_COLUMNS.map((c) => [c, null])) as Record<IntColumn, null | number>

  const instanceId = message.instance_id.toLowerCase()
  if (message.instance_id === instanceId) delete top.instance_id
  if (message.message_id === undefined) bits |= BIT_NO_MESSAGE_ID
  else if (message.message_id === messageId) delete top.message_id
  const sessionId = message.session_id?.toLowerCase() ?? null
  if (message.session_id !== undefined && message.session_id === sessionId) delete top.session_id
  const ts = Date.parse(message.timestamp.toUpperCase().replace(' ', 'T'))
  if (new Date(ts).toISOString() === message.timestamp) delete top.timestamp
  dict.product = message.product
  delete top.product
  if (typeof message.product_version === 'string') {
    dict.version = message.product_version
    delete top.product_version
  }

  dict.event = message.payload.event
  delete payload.event
  if (payload.anonymousId === message.instance_id) {
    bits |= BIT_ANONYMOUS_ID_IS_INSTANCE
    delete payload.anonymousId
  }

  const context: Json = {}
  const contextTop: Json = {}
  for (const key of CONTEXT_TOP) {
    if (key in top) {
      contextTop[key] = top[key]
      delete top[key]
    }
  }

  if (Object.keys(contextTop).length > 0) context.t = contextTop
  if (props === undefined) {
    bits |= BIT_NO_PROPERTIES
  } else {
    for (const key of STRING_PROPS) {
      const value = props[key]
      if (typeof value === 'string' || value === null) {
        dict[key] = value
        delete props[key]
      }
    }

    if (Array.isArray(props.flags) && props.flags.every((f) => typeof f === 'string')) {
      dict.flags = JSON.stringify(props.flags)
      delete props.flags
    }

    for (const [column, key] of Object.entries(INT_PROPS) as [IntColumn, string][]) {
      if (isSafeInt(props[key])) {
        ints[column] = props[key]
        delete props[key]
      }
    }

    if (typeof props.tty === 'boolean') {
      ints.tty = props.tty ? 1 : 0
      delete props.tty
    }

    const contextProps: Json = {}
    for (const key of CONTEXT_PROPS) {
      if (key in props) {
        contextProps[key] = props[key]
        delete props[key]
      }
    }

    if (Object.keys(contextProps).length > 0) context.p = contextProps
    delete payload.properties
    if (Object.keys(props).length > 0) payload.properties = props
  }

  delete top.payload
  if (Object.keys(payload).length > 0) top.payload = payload
  if (Object.keys(context).length > 0) dict.context = canonicalJson(context)
  return {
    bits,
    dict,
    extra: Object.keys(top).length > 0 ? JSON.stringify(top) : null,
    instanceId,
    ints,
    messageId,
    sessionId,
    ts,
  }
}

/**
 * Rebuild the message exactly as received from its columns. `parseShared` parses the context and
 * flags strings, which repeat from event to event: the aggregator passes a memo (the message then
 * shares its flags array with others: read it, do not change it).
 */
export function decodeMessage(
  row: EncodedEvent,
  parseShared: (json: string) => unknown = JSON.parse,
): TelemetryMessage {
  const extra = row.extra === null ? {} : (JSON.parse(row.extra) as Json)
  const context = typeof row.dict.context === 'string' ? (parseShared(row.dict.context) as {p?: Json; t?: Json}) : {}
  const {payload: extraPayload, ...extraTop} = extra as {payload?: Json}
  const {properties: extraProps, ...payloadRest} = extraPayload ?? {}
  const top: Json = {...context.t, instance_id: row.instanceId, timestamp: new Date(row.ts).toISOString()}
  if ((row.bits & BIT_NO_MESSAGE_ID) === 0) top.message_id = row.messageId
  if (row.sessionId !== null) top.session_id = row.sessionId
  top.product = row.dict.product
  if (row.dict.version !== undefined) top.product_version = row.dict.version
  Object.assign(top, extraTop)
  const payload: Json = {event: row.dict.event, ...payloadRest}
  if ((row.bits & BIT_ANONYMOUS_ID_IS_INSTANCE) !== 0) payload.anonymousId = top.instance_id
  if ((row.bits & BIT_NO_PROPERTIES) === 0) {
    const props: Json = {...context.p}
    for (const key of STRING_PROPS) if (row.dict[key] !== undefined) props[key] = row.dict[key]
    if (typeof row.dict.flags === 'string') props.flags = parseShared(row.dict.flags)
    for (const [column, key] of Object.entries(INT_PROPS) as [IntColumn, string][]) {
      if (row.ints[column] !== null) props[key] = row.ints[column]
    }

    if (row.ints.tty !== null) props.tty = row.ints.tty === 1
    Object.assign(props, extraProps as Json | undefined)
    payload.properties = props
  }

  top.payload = payload
  return top as unknown as TelemetryMessage
}

/** UUID text to its 16 bytes. */
export function uuidBytes(uuid: string): Buffer {
  return Buffer.from(uuid.replaceAll('-', ''), 'hex')
}

/** 16 bytes to lower-case UUID text. */
export function uuidText(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes).toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`
}
