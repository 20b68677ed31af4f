/** Appends the store's events to the engine's tables (DuckDB appenders: columnar, no SQL per row). */
import {dateValue, type DuckDBAppender, type DuckDBConnection} from '@duckdb/node-api'

import type {StoredFact} from '../store/store.js'

import {bucketOf} from './histogram.js'
import {DAY_MS} from './time.js'

/** The highest bucket a SMALLINT holds (about 10^280 ms). */
const MAX_BUCKET = 32_767

function text(appender: DuckDBAppender, value: null | string): void {
  if (value === null) appender.appendNull()
  else appender.appendVarchar(value)
}

/** Append `facts` (one chunk, in id order) to events, flags and properties; flushed on return. */
export async function appendFacts(connection: DuckDBConnection, facts: readonly StoredFact[]): Promise<void> {
  const events = await connection.createAppender('events')
  const flags = await connection.createAppender('flags')
  const properties = await connection.createAppender('properties')
  try {
    for (const fact of facts) {
      const id = BigInt(fact.id)
      events.appendBigInt(id)
      events.appendInteger(fact.instance)
      events.appendBigInt(BigInt(fact.ts))
      events.appendDate(dateValue(Math.floor(fact.ts / DAY_MS)))
      events.appendBigInt(BigInt(fact.received))
      if (fact.sessionKey === null) events.appendNull()
      else events.appendBlob(fact.sessionKey)
      events.appendBlob(fact.messageKey)
      events.appendVarchar(fact.product)
      text(events, fact.version)
      events.appendVarchar(fact.event)
      text(events, fact.command)
      text(events, fact.outcome)
      text(events, fact.error)
      text(events, fact.os)
      text(events, fact.arch)
      text(events, fact.ci)
      text(events, fact.agent)
      text(events, fact.node)
      text(events, fact.suggestion)
      if (fact.duration === null) events.appendNull()
      // An absurd duration (1e300 ms is a finite number) counts in the highest bucket.
      else events.appendSmallInt(Math.min(bucketOf(fact.duration), MAX_BUCKET))
      events.endRow()
      for (const flag of fact.flags) {
        flags.appendBigInt(id)
        flags.appendInteger(fact.instance)
        flags.appendVarchar(flag)
        flags.endRow()
      }

      if (fact.properties !== null) {
        for (const [name, value] of Object.entries(fact.properties)) {
          properties.appendBigInt(id)
          properties.appendInteger(fact.instance)
          properties.appendVarchar(name)
          properties.appendVarchar(value)
          properties.endRow()
        }
      }
    }

    events.flushSync()
    flags.flushSync()
    properties.flushSync()
  } finally {
    events.closeSync()
    flags.closeSync()
    properties.closeSync()
  }
}
