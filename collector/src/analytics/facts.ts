/** What reports read of one event, derived the same way for every store. */
import type {TelemetryMessage} from '../store/message.js'

export interface Fact {
  /** The coding agent that ran the command (its name), or null. */
  agent: null | string
  arch: null | string
  ci: null | string
  command: null | string
  /** duration_ms when it is a finite number >= 0. */
  duration: null | number
  error: null | string
  event: string
  flags: readonly string[]
  /** The store's dense number for the instance (never shown). */
  instance: number
  /** Tie-break for events of one session with equal timestamps. */
  messageId: string
  node: null | string
  os: null | string
  outcome: null | string
  product: string
  /** Scalar properties of a custom (non-command) event, as strings. */
  properties: null | Record<string, string>
  session: null | string
  suggestion: null | string
  ts: number
  /** product_version. */
  version: null | string
}

const str = (v: unknown): null | string => (typeof v === 'string' ? v : null)

/** A custom property's value: own properties only, whatever the name (`constructor`, `toString`). */
export function propertyOf(fact: Fact, name: string): string | undefined {
  return fact.properties !== null && Object.hasOwn(fact.properties, name) ? fact.properties[name] : undefined
}

export function factOf(message: TelemetryMessage, instance: number, messageId: string, ts: number): Fact {
  const props = message.payload.properties ?? {}
  const {event} = message.payload
  let properties: null | Record<string, string> = null
  if (event !== 'command') {
    for (const [name, value] of Object.entries(props)) {
      if (
        typeof value === 'string' ||
        typeof value === 'boolean' ||
        (typeof value === 'number' && Number.isFinite(value))
      ) {
        // No prototype: a property may be named `__proto__` or `toString`.
        properties ??= Object.create(null) as Record<string, string>
        properties[name] = String(value)
      }
    }
  }

  const duration = props.duration_ms
  return {
    agent: str(props.agent),
    arch: str(props.arch),
    ci: str(props.ci),
    command: str(props.command),
    duration: typeof duration === 'number' && Number.isFinite(duration) && duration >= 0 ? duration : null,
    error: str(props.error),
    event,
    flags: Array.isArray(props.flags)
      ? [...new Set(props.flags.filter((f): f is string => typeof f === 'string'))]
      : [],
    instance,
    messageId,
    node: str(props.node),
    os: str(props.os),
    outcome: str(props.outcome),
    product: message.product,
    properties,
    session: message.session_id?.toLowerCase() ?? null,
    suggestion: str(props.suggestion),
    ts,
    version: message.product_version ?? null,
  }
}
