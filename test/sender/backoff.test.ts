// The sender's schedule, as pure functions: the wait after failures, Retry-After, still backing off.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {backingOff, BACKOFF_BASE_MS, BACKOFF_CAP_MS, backoffMs, RETRY_AFTER_CAP_MS} from '../../src/sender/backoff.js'

describe('backoff', () => {
  it('doubles with each failure, with jitter between half and all of it, up to the cap', () => {
    assert.equal(
      backoffMs(1, undefined, () => 1),
      BACKOFF_BASE_MS,
    )
    assert.equal(
      backoffMs(1, undefined, () => 0),
      BACKOFF_BASE_MS / 2,
    )
    assert.equal(
      backoffMs(3, undefined, () => 1),
      BACKOFF_BASE_MS * 4,
    )
    assert.equal(
      backoffMs(50, undefined, () => 1),
      BACKOFF_CAP_MS,
    )
  })

  it('never sooner than Retry-After asks, and a Retry-After beyond a day is not believed', () => {
    assert.equal(
      backoffMs(1, 10 * 60_000, () => 1),
      10 * 60_000,
    )
    assert.equal(
      backoffMs(1, 1000, () => 1),
      BACKOFF_BASE_MS,
    )
    assert.equal(
      backoffMs(1, 30 * 24 * 3_600_000, () => 1),
      RETRY_AFTER_CAP_MS,
    )
  })

  it('is still backing off until the time it set, and not once it passed', () => {
    const now = Date.parse('2026-11-28T12:00:00Z')
    assert.equal(backingOff({}, now), false)
    assert.equal(backingOff({backoffUntil: '2026-11-28T12:00:01Z'}, now), true)
    assert.equal(backingOff({backoffUntil: '2026-11-28T12:00:00Z'}, now), false)
    assert.equal(backingOff({backoffUntil: '2026-11-28T11:59:59Z'}, now), false)
    // Longer than any wait it sets (a clock that was wrong, a damaged file): not believed.
    assert.equal(backingOff({backoffUntil: new Date(now + RETRY_AFTER_CAP_MS).toISOString()}, now), true)
    assert.equal(backingOff({backoffUntil: new Date(now + RETRY_AFTER_CAP_MS + 1000).toISOString()}, now), false)
    assert.equal(backingOff({backoffUntil: '2099-01-01T00:00:00Z'}, now), false)
  })
})
