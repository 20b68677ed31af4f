/** The raw-event row as both stores read and write it (same column names, same meaning). */
import {DICT_COLUMNS, type DictColumn, type DictValue, type EncodedEvent, INT_COLUMNS, type IntColumn} from './codec.js'
import {Dictionary} from './dictionary.js'

/** Column order of an event row after message_id, instance, ts, received, session. */
export const DATA_COLUMNS = ['bits', ...DICT_COLUMNS, ...INT_COLUMNS, 'extra'] as const

/** A stored row: dictionary columns as ids. */
export interface EventRow extends Record<DictColumn, null | number>, Record<IntColumn, null | number> {
  bits: number
  extra: null | string
  instance: number
  /** Instance UUID (text). */
  instance_id: string
  /** UUID text. */
  message_id: string
  /** UUID text or null. */
  session: null | string
  ts: number
}

/** The string-column values of a batch's events, in one array (their strings go in the dictionary first). */
export function dictValuesOf(events: readonly {encoded: EncodedEvent}[]): DictValue[] {
  const values: DictValue[] = []
  for (const {encoded} of events) for (const column of DICT_COLUMNS) values.push(encoded.dict[column])
  return values
}

/** Values of DATA_COLUMNS for an encoded event. */
export function dataValues(event: EncodedEvent, dict: Dictionary): (null | number | string)[] {
  return [
    event.bits,
    ...DICT_COLUMNS.map((c) => dict.code(event.dict[c])),
    ...INT_COLUMNS.map((c) => event.ints[c]),
    event.extra,
  ]
}

export function encodedFromRow(row: EventRow, dict: Dictionary): EncodedEvent {
  return {
    bits: row.bits,
    dict: Object.fromEntries(DICT_COLUMNS.map((c) => [c, dict.decode(row[c])])) as EncodedEvent['dict'],
    extra: row.extra,
    instanceId: row.instance_id,
    ints: Object.fromEntries(INT_COLUMNS.map((c) => [c, row[c]])) as EncodedEvent['ints'],
    messageId: row.message_id,
    sessionId: row.session,
    ts: row.ts,
  }
}
