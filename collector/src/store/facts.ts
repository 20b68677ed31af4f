/** Stored rows as the analytics engine reads them: the report facts of src/analytics/facts.ts. */
import {type Fact, factOf} from '../analytics/facts.js'
import {decodeMessage, uuidText} from './codec.js'
import {type Dictionary} from './dictionary.js'
import {encodedFromRow, type EventRow} from './rows.js'
import {type StoredFact} from './store.js'

/** A memo of JSON.parse for strings that repeat (context, flags); the parsed values are shared. */
export function sharedParser(): (json: string) => unknown {
  const parsed = new Map<string, unknown>()
  return (json) => {
    let value = parsed.get(json)
    if (value === undefined) parsed.set(json, (value = JSON.parse(json)))
    return value
  }
}

/**
 * A row's report fact. A command event whose every field sits in its typed columns (no `extra`
 * JSON: the usual case) is read straight from them; any other event is rebuilt into its message
 * first, so both give what factOf() gives for the message as received.
 */
export function factFromRow(row: EventRow, dict: Dictionary, parseShared?: (json: string) => unknown): Fact {
  const event = dict.decode(row.event)
  if (row.extra !== null || event !== 'command') {
    return factOf(decodeMessage(encodedFromRow(row, dict), parseShared), row.instance, row.message_id, row.ts)
  }

  const text = (id: null | number) => {
    const value = dict.decode(id)
    return typeof value === 'string' ? value : null
  }

  const flags = dict.decode(row.flags)
  const version = dict.decode(row.version)
  const context = dict.decode(row.context)
  const agent =
    typeof context === 'string' ? ((parseShared ?? JSON.parse)(context) as {p?: {agent?: unknown}}) : undefined
  return {
    // Low in variety, it is kept with the context fields (codec.ts).
    agent: typeof agent?.p?.agent === 'string' ? agent.p.agent : null,
    arch: text(row.arch),
    ci: text(row.ci),
    command: text(row.command),
    duration: row.duration !== null && row.duration >= 0 ? row.duration : null,
    error: text(row.error),
    event,
    flags: typeof flags === 'string' ? distinctFlags(flags, parseShared) : [],
    instance: row.instance,
    messageId: row.message_id,
    node: text(row.node),
    os: text(row.os),
    outcome: text(row.outcome),
    product: dict.decode(row.product) as string,
    properties: null,
    session: row.session,
    suggestion: text(row.suggestion),
    ts: row.ts,
    version: typeof version === 'string' ? version : null,
  }
}

const distinct = new WeakMap<readonly string[], readonly string[]>()

/** A flags column's names, each once (shared between events when `parseShared` memoises). */
function distinctFlags(json: string, parseShared: (json: string) => unknown = JSON.parse): readonly string[] {
  const all = parseShared(json) as readonly string[]
  let out = distinct.get(all)
  if (!out) distinct.set(all, (out = [...new Set(all)]))
  return out
}

/** A stored row as the engine reads it: ids as bytes, no instance id (reports never show it). */
export interface EngineRow extends Omit<EventRow, 'instance_id' | 'message_id' | 'session'> {
  id: number
  message_id: Uint8Array
  received: number
  session: null | Uint8Array
}

/** Any instance id: factOf() does not read it, and decodeMessage() only copies it. */
const SOME_INSTANCE = '00000000-0000-4000-8000-000000000000'

/** The engine's fact of a row (factFromRow's, without turning the ids into text on the usual path). */
export function storedFactFromRow(
  row: EngineRow,
  dict: Dictionary,
  parseShared: (json: string) => unknown,
): StoredFact {
  const textRow = {...row, instance_id: SOME_INSTANCE, message_id: '', session: null}
  const usual = row.extra === null && dict.decode(row.event) === 'command'
  if (!usual) textRow.message_id = uuidText(row.message_id)
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- the ids as text are not kept
  const {messageId, session, ...fact} = factFromRow(textRow, dict, parseShared)
  return {...fact, id: row.id, messageKey: row.message_id, received: row.received, sessionKey: row.session}
}
