// The words status and flush use for a failed delivery and for events the collector refused.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {describeFailure} from '../../src/sender/failure-words.js'
import {describeRefusal} from '../../src/sender/refusal-words.js'

describe('why a delivery failed, in words', () => {
  const endpoint = 'https://telemetry.example.com'
  const cases: Array<[string, string]> = [
    ['ENOTFOUND', 'cannot resolve telemetry.example.com'],
    ['EAI_AGAIN', 'cannot resolve telemetry.example.com (no answer from DNS: offline?)'],
    ['ECONNREFUSED', 'telemetry.example.com refused the connection (nothing listens there)'],
    ['TimeoutError', 'telemetry.example.com did not answer within 10 s'],
    ['CERT_HAS_EXPIRED', 'the TLS certificate of telemetry.example.com is not trusted (CERT_HAS_EXPIRED)'],
    ['HTTP 503', 'the collector at telemetry.example.com answered HTTP 503'],
    ['HTTP 429', 'the collector at telemetry.example.com asked to wait (HTTP 429)'],
    ['HTTP 302', 'the endpoint redirects (HTTP 302): check its address (https://telemetry.example.com)'],
    ['EWHATEVER', 'the request to telemetry.example.com failed (EWHATEVER)'],
  ]
  for (const [code, words] of cases) {
    it(`${code}: "${words}"`, () => {
      assert.equal(describeFailure(endpoint, code, 10_000), words)
    })
  }
})

const line = (timestamp: string) => JSON.stringify({timestamp})

describe('why the collector refused an event, in words', () => {
  const now = Date.parse('2026-12-08T12:00:00.000Z')

  it('a timestamp ahead: how far this machine clock is ahead of the collector', () => {
    const reason = 'timestamp: more than 24 hours in the future'
    assert.equal(
      describeRefusal(reason, line('2026-12-11T12:00:00.000Z'), now),
      'the clock of this machine is 3 days ahead (the events are dated in the future)',
    )
    assert.equal(
      describeRefusal(reason, line('2026-12-09T18:00:00.000Z'), now),
      'the clock of this machine is 30 hours ahead (the events are dated in the future)',
    )
  })

  it('a clock before 2000, and any other reason as the collector gave it', () => {
    assert.equal(
      describeRefusal('timestamp: before 2000-01-01', line('1970-01-01T00:00:00.000Z'), now),
      'the clock of this machine is set before the year 2000',
    )
    assert.equal(
      describeRefusal('payload.properties: must be object', line(''), now),
      'the collector found the event invalid: payload.properties: must be object',
    )
  })
})
