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
const CONTEXT_PROPS = ['os_release', 'cli', 'cli_version', 'plugin', 'plugin_version', 'agent'] as const
const CONTEXT_TOP_SORTED = [...CONTEXT_TOP].sort()
const CONTEXT_PROPS_SORTED = [...CONTEXT_PROPS].sort()

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

const CONTEXT_TOP_KEYS = new Set<string>(CONTEXT_TOP)
const CONTEXT_PROP_KEYS = new Set<string>(CONTEXT_PROPS)
const STRING_PROP_KEYS = new Set<string>(STRING_PROPS)
const INT_COLUMN_OF = new Map(Object.entries(INT_PROPS).map(([column, key]) => [key, column as IntColumn]))

/** `keys` (sorted) of `source` as canonical JSON members, or undefined when none is there. */
function contextMembers(source: Json, keys: readonly string[]): string | undefined {
  let members: string | undefined
  for (const key of keys) {
    if (Object.hasOwn(source, key)) {
      const member = `"${key}":${canonicalJson(source[key])}`
      members = members === undefined ? member : `${members},${member}`
    }
  }

  return members
}

/** `target[key] = value`, as an own property even for "__proto__" (which JSON.parse can give). */
function setOwn(target: Json, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(target, key, {configurable: true, enumerable: true, value, writable: true})
  else target[key] = value
}

/** Object.assign that keeps "__proto__" a field (Object.assign would set the prototype). */
function assignOwn(target: Json, source: Json): void {
  for (const [key, value] of Object.entries(source)) setOwn(target, key, value)
}

const isSafeInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v)

type Columns = Pick<EncodedEvent, 'dict' | 'ints'>

/** Put a command property in its column; false when none holds it (it then stays in `extra`). */
function propertyToColumn(key: string, value: unknown, row: Columns): boolean {
  if (STRING_PROP_KEYS.has(key)) {
    if (typeof value !== 'string' && value !== null) return false
    row.dict[key as DictColumn] = value
    return true
  }

  const column = INT_COLUMN_OF.get(key)
  if (column !== undefined) {
    if (!isSafeInt(value)) return false
    row.ints[column] = value
    return true
  }

  if (key === 'flags') {
    if (!Array.isArray(value) || !value.every((f) => typeof f === 'string')) return false
    row.dict.flags = JSON.stringify(value)
    return true
  }

  if (key === 'tty') {
    if (typeof value !== 'boolean') return false
    row.ints.tty = value ? 1 : 0
    return true
  }

  return CONTEXT_PROP_KEYS.has(key)
}

/** The top-level fields no column holds, in the message's order (payload aside). */
function restOfTop(message: TelemetryMessage, row: Readonly<Omit<EncodedEvent, 'bits' | 'extra'>>): Json {
  const top: Json = {}
  for (const [key, value] of Object.entries(message)) {
    if (key === 'instance_id' && value === row.instanceId) continue
    if (key === 'message_id' && value !== undefined && value === row.messageId) continue
    if (key === 'session_id' && value !== undefined && value === row.sessionId) continue
    if (key === 'timestamp' && new Date(row.ts).toISOString() === value) continue
    if (key === 'product' || key === 'payload' || CONTEXT_TOP_KEYS.has(key)) continue
    if (key === 'product_version' && typeof value === 'string') continue
    setOwn(top, key, value)
  }

  return top
}

/** canonicalJson({p, t}) of the context fields, written out: its keys are known, none is sorted per event. */
function contextOf(message: TelemetryMessage): string | undefined {
  const props = message.payload.properties
  const p = props ? contextMembers(props, CONTEXT_PROPS_SORTED) : undefined
  const t = contextMembers(message as unknown as Json, CONTEXT_TOP_SORTED)
  if (p === undefined) return t === undefined ? undefined : `{"t":{${t}}}`
  return t === undefined ? `{"p":{${p}}}` : `{"p":{${p}},"t":{${t}}}`
}

/**
 * Split a validated message into columns. `messageId` is the given or derived id. What no column
 * holds is copied, in the message's key order, into `extra` (payload last, properties last in it).
 */
export function encodeMessage(message: TelemetryMessage, messageId: string): EncodedEvent {
  const row: Omit<EncodedEvent, 'bits' | 'extra'> = {
    dict: {
      arch: undefined,
      ci: undefined,
      command: undefined,
      context: contextOf(message),
      error: undefined,
      event: message.payload.event,
      flags: undefined,
      node: undefined,
      os: undefined,
      outcome: undefined,
      product: message.product,
      suggestion: undefined,
      version: typeof message.product_version === 'string' ? message.product_version : undefined,
    },
    instanceId: message.instance_id.toLowerCase(),
    ints: {args: null, duration: null, exit_code: null, tty: null, unknown_flags: null},
    messageId,
    sessionId: message.session_id?.toLowerCase() ?? null,
    ts: Date.parse(message.timestamp.toUpperCase().replace(' ', 'T')),
  }
  let bits = message.message_id === undefined ? BIT_NO_MESSAGE_ID : 0
  const top = restOfTop(message, row)
  const props = message.payload.properties
  const payload: Json = {}
  for (const [key, value] of Object.entries(message.payload)) {
    if (key === 'event' || (key === 'properties' && props)) continue
    if (key === 'anonymousId' && value === message.instance_id) bits |= BIT_ANONYMOUS_ID_IS_INSTANCE
    else setOwn(payload, key, value)
  }

  if (props) {
    let rest: Json | undefined
    for (const [key, value] of Object.entries(props)) {
      if (!propertyToColumn(key, value, row)) setOwn((rest ??= {}), key, value)
    }

    if (rest !== undefined) payload.properties = rest
  } else {
    bits |= BIT_NO_PROPERTIES
  }

  if (Object.keys(payload).length > 0) top.payload = payload
  const extra = Object.keys(top).length > 0 ? JSON.stringify(top) : null
  const {dict, instanceId, ints, sessionId, ts} = row
  return {bits, dict, extra, instanceId, ints, messageId, sessionId, ts}
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
  assignOwn(top, extraTop)
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
    if (extraProps !== undefined) assignOwn(props, extraProps as Json)
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
