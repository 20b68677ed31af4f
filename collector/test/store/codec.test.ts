/** The compact raw-event form gives every message back exactly as received. */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import type {TelemetryMessage} from '../../src/store/message.js'

import {decodeMessage, encodeMessage} from '../../src/store/codec.js'
import {fleet} from '../support/fleet.js'
import {commandMessage} from '../support/messages.js'

const DERIVED_ID = 'f0e1d2c3-b4a5-4697-8889-aabbccddeeff'

/** What the collector receives: JSON text parsed (so "__proto__" is an own key, as JSON.parse makes it). */
const received = (json: string) => JSON.parse(json) as TelemetryMessage
const roundTrip = (message: TelemetryMessage) =>
  decodeMessage(encodeMessage(message, message.message_id?.toLowerCase() ?? DERIVED_ID))

describe('raw-event codec', () => {
  const base = JSON.stringify(commandMessage())
  const odd: Record<string, string> = {
    'a "__proto__" field at the top and in the payload': `{"__proto__":{"a":1},${base.slice(1)}`.replace(
      '"payload":{',
      '"payload":{"__proto__":5,',
    ),
    'a "__proto__" field in properties': base.replace('"properties":{', '"properties":{"__proto__":{"x":1},'),
    'command properties of the wrong type': base
      .replace('"flags":["force","name"]', '"flags":["a",1]')
      .replace('"duration_ms":0', '"duration_ms":1.5')
      .replace('"tty":false', '"tty":"no"'),
    'empty properties': base.replace(/"properties":\{.*\}\},"payload_version"/, '"properties":{}},"payload_version"'),
    'no message_id, upper-case ids and a space in the timestamp': base
      .replace(/"message_id":"[^"]+",/, '')
      .replace(/"instance_id":"([^"]+)"/, (_, id: string) => `"instance_id":"${id.toUpperCase()}"`)
      .replace(/"timestamp":"(\d{4}-\d{2}-\d{2})T/, '"timestamp":"$1 '),
    'no properties, an anonymousId of its own': base.replace(
      /"payload":\{.*\}\},/,
      '"payload":{"anonymousId":"someone","event":"e"},',
    ),
    'properties after other payload fields, payload before the top fields': `{"payload":{"properties":{"zz":1,"command":"c"},"event":"x","more":true},${base.slice(1).replace(/"payload":\{.*\}\},/, '')}`,
  }

  it('gives back every message of a fleet', () => {
    const messages = [...fleet({days: 3, instances: 60, seed: 11})].flat()
    for (const message of messages) assert.deepStrictEqual(roundTrip(received(JSON.stringify(message))), message)
  })

  for (const [name, json] of Object.entries(odd)) {
    it(`gives back a message with ${name}`, () => {
      const message = received(json)
      const back = roundTrip(message)
      assert.deepStrictEqual(back, message)
      // Own "__proto__" keys stay data, never a prototype.
      assert.equal(Object.getPrototypeOf(back), Object.prototype)
      assert.equal(Object.getPrototypeOf(back.payload), Object.prototype)
    })
  }

  it('keeps only what no column holds as JSON, in the order received', () => {
    const message = received(odd['properties after other payload fields, payload before the top fields'])
    const {extra} = encodeMessage(message, message.message_id!)
    assert.equal(extra, '{"payload":{"more":true,"properties":{"zz":1}}}')
    const plain = received(base)
    assert.equal(encodeMessage(plain, plain.message_id!).extra, null)
  })
})
