/** Report facts read straight from an event's columns equal those of the message rebuilt from them. */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import type {TelemetryMessage} from '../../src/store/message.js'

import {factOf} from '../../src/analytics/facts.js'
import {DICT_COLUMNS, encodeMessage, INT_COLUMNS} from '../../src/store/codec.js'
import {Dictionary} from '../../src/store/dictionary.js'
import {factFromRow, sharedParser} from '../../src/store/facts.js'
import {type EventRow} from '../../src/store/rows.js'
import {fleet} from '../support/fleet.js'
import {commandMessage} from '../support/messages.js'

const MESSAGE_ID = '00000000-0000-4000-8000-000000000000'

/** The row a store keeps for a message; its strings are added to `dict`. */
let lastId = 0

function rowOf(message: TelemetryMessage, dict: Dictionary): EventRow {
  const encoded = encodeMessage(message, message.message_id ?? MESSAGE_ID)
  const row: Record<string, unknown> = {
    bits: encoded.bits,
    extra: encoded.extra,
    instance: 7,
    instance_id: encoded.instanceId,
    message_id: encoded.messageId,
    session: encoded.sessionId,
    ts: encoded.ts,
  }
  for (const column of DICT_COLUMNS) {
    const value = encoded.dict[column]
    if (typeof value === 'string' && dict.idOf(value) === undefined) dict.set(++lastId, value)
    row[column] = dict.code(value)
  }

  for (const column of INT_COLUMNS) row[column] = encoded.ints[column]
  return row as unknown as EventRow
}

function withProps(properties: Record<string, unknown>, top: Record<string, unknown> = {}): TelemetryMessage {
  const base = commandMessage()
  return {...base, ...top, payload: {...base.payload, properties: {...base.payload.properties, ...properties}}}
}

describe('report facts from stored rows', () => {
  it('equal the facts of the message as received, for a fleet and for odd messages', () => {
    const dict = new Dictionary()
    const parse = sharedParser()
    const messages: TelemetryMessage[] = [...fleet({days: 3, instances: 40, seed: 3})].flat()
    messages.push(
      withProps({flags: ['json', 'json', 'force']}),
      withProps({command: 42, duration_ms: 12.5}),
      withProps({duration_ms: -3, outcome: null, tty: 'yes'}),
      withProps({arch: null, ci: 'Jenkins', error: 'E', suggestion: 'converge'}),
      withProps({}, {product_version: undefined}),
      {...commandMessage(), payload: {anonymousId: 'x', event: 'command'}},
    )
    let fast = 0
    for (const message of messages) {
      const row = rowOf(message, dict)
      if (row.extra === null && message.payload.event === 'command') fast++
      const expected = factOf(message, 7, row.message_id, row.ts)
      assert.deepEqual(factFromRow(row, dict, parse), expected)
      assert.deepEqual(factFromRow(row, dict), expected)
    }

    // Most events take the column path: the test covers it.
    assert.ok(fast > messages.length / 2, `${fast} of ${messages.length} read from columns`)
  })
})
