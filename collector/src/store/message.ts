import {createHash} from 'node:crypto'

/** A message that passed validation, reduced to what the stores index, plus its JSON text. */
export interface PreparedMessage {
  /** payload.properties.command when it is a string. */
  command: null | string
  /** UTC date (YYYY-MM-DD) of timestamp. */
  day: string
  event: string
  /** Lower-cased instance_id. */
  instanceId: string
  /** The whole message as received (re-serialised JSON). */
  json: string
  /** The validated message itself. */
  message: TelemetryMessage
  /** message_id of the message, or an id derived from its canonical form when it has none. */
  messageId: string
  /** payload.properties.os when it is a string. */
  os: null | string
  product: string
  productVersion: null | string
  /** timestamp normalised to UTC ISO 8601 with milliseconds. */
  timestamp: string
}

export interface TelemetryMessage {
  install_context?: string
  instance_id: string
  license_id: string
  message_id?: string
  message_version: number
  origin: string
  payload: {anonymousId?: string; event: string; properties?: Record<string, unknown>}
  payload_version: number
  product: string
  product_version?: string
  session_id?: string
  timestamp: string
  type: 'track'
}

/** JSON with object keys sorted at every level: equal messages give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort()
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`
  }

  return JSON.stringify(value)
}

/**
 * A deterministic UUID (version 8, "custom") from the SHA-256 of the canonical message, for
 * messages sent without message_id: a retried message gets the same id and is stored once.
 */
export function deriveMessageId(message: unknown): string {
  const hash = createHash('sha256').update(canonicalJson(message)).digest()
  /* eslint-disable no-bitwise -- UUID version and variant bits */
  hash[6] = (hash[6] & 0x0f) | 0x80
  hash[8] = (hash[8] & 0x3f) | 0x80
  /* eslint-enable no-bitwise */
  const hex = hash.subarray(0, 16).toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`
}

/** SHA-256 (hex) of a lower-cased instance id: what tombstones and deletion records keep. */
export function hashInstanceId(instanceId: string): string {
  return createHash('sha256').update(instanceId.toLowerCase()).digest('hex')
}

/** Turn a validated message into the row the stores insert. */
export function prepareMessage(message: TelemetryMessage, json = JSON.stringify(message)): PreparedMessage {
  const date = new Date(message.timestamp)
  const timestamp = date.toISOString()
  const {properties} = message.payload
  const command = properties && typeof properties.command === 'string' ? properties.command : null
  const os = properties && typeof properties.os === 'string' ? properties.os : null
  return {
    command,
    day: timestamp.slice(0, 10),
    event: message.payload.event,
    instanceId: message.instance_id.toLowerCase(),
    json,
    message,
    messageId: (message.message_id ?? deriveMessageId(message)).toLowerCase(),
    os,
    product: message.product,
    productVersion: message.product_version ?? null,
    timestamp,
  }
}
