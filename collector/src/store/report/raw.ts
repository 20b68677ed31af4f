/** Reports computed from raw events: the reference that the aggregates must equal. */
import {decodeMessage} from '../codec.js'
import {type Dictionary} from '../dictionary.js'
import {encodedFromRow, type EventRow} from '../rows.js'
import {type Fact, factOf} from './facts.js'
import {DAY_MS, dayStart} from './time.js'
import {type ReportFilter} from './types.js'

export const FILTER_COLUMNS = ['product', 'version', 'event', 'command', 'outcome'] as const

/** SQL-ready filter: dictionary ids and a timestamp range; undefined when nothing can match. */
export interface RowFilter {
  equal: [column: (typeof FILTER_COLUMNS)[number], id: number][]
  /** ts >= fromTs */
  fromTs?: number
  /** ts < toTs */
  toTs?: number
}

export function rowFilter(filter: ReportFilter, dict: Dictionary): RowFilter | undefined {
  const equal: RowFilter['equal'] = []
  for (const column of FILTER_COLUMNS) {
    const value = filter[column]
    if (value === undefined) continue
    const id = dict.idOf(value)
    if (id === undefined) return undefined
    equal.push([column, id])
  }

  return {
    equal,
    fromTs: filter.from === undefined ? undefined : dayStart(filter.from),
    toTs: filter.to === undefined ? undefined : dayStart(filter.to) + DAY_MS,
  }
}

/** A memo of JSON.parse for strings that repeat (context, flags); the parsed values are shared. */
export function sharedParser(): (json: string) => unknown {
  const parsed = new Map<string, unknown>()
  return (json) => {
    let value = parsed.get(json)
    if (value === undefined) parsed.set(json, (value = JSON.parse(json)))
    return value
  }
}

export function factFromRow(row: EventRow, dict: Dictionary, parseShared?: (json: string) => unknown): Fact {
  const encoded = encodedFromRow(row, dict)
  return factOf(decodeMessage(encoded, parseShared), row.instance, row.message_id, row.ts)
}
