import type {Settings} from '../settings.js'

/** One message, field for field the RFC's sample message plus `session_id` and `message_id`. */
export interface Message {
  instance_id: string
  license_id: string
  message_id: string
  message_version: 1
  origin: 'command-line'
  payload: {anonymousId: string; event: string; properties: Record<string, unknown>}
  payload_version: 1
  product: string
  product_version: string
  session_id: string
  timestamp: string
  type: 'track'
}

export interface MessageInput {
  event: string
  instanceId: string
  /** Made when the event is recorded, and kept across retries so the collector stores it once. */
  messageId: string
  now?: Date
  properties: Record<string, unknown>
  sessionId: string
  settings: Settings
}

export function buildMessage({
  event,
  instanceId,
  messageId,
  now = new Date(),
  properties,
  sessionId,
  settings,
}: MessageInput): Message {
  return {
    instance_id: instanceId,
    license_id: settings.licenseId,
    message_id: messageId,
    message_version: 1,
    origin: 'command-line',
    payload: {anonymousId: instanceId, event, properties},
    payload_version: 1,
    product: settings.product,
    product_version: settings.cli.version,
    session_id: sessionId,
    timestamp: now.toISOString(),
    type: 'track',
  }
}
