/**
 * The background aggregator's schedule (rollup/aggregator.ts), on real timers: ingest goes first
 * (a background chunk waits while inserts run, at most MAX_DEFER_MS), a report waiting for the
 * aggregates cuts that wait short, and an idle store folds soon after a poke.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'

import {Aggregator, CHUNK_EVENTS, DELAY_MS, MAX_DEFER_MS} from '../../src/store/rollup/aggregator.js'

/** An aggregator over a pretend store with `pending` events, folding them a chunk at a time. */
function scheduled(ingesting: () => boolean) {
  const steps: {at: number; background: boolean; folded: number}[] = []
  let pending = 0
  const start = performance.now()
  const aggregator = new Aggregator(async (background) => {
    const n = Math.min(pending, CHUNK_EVENTS)
    steps.push({at: performance.now() - start, background, folded: n})
    pending -= n
    return n
  }, ingesting)
  return {
    aggregator,
    steps,
    stored(n: number) {
      pending += n
      aggregator.poke()
    },
  }
}

describe('aggregator schedule', () => {
  it('folds soon after an insert when ingest has stopped', async () => {
    const {aggregator, steps, stored} = scheduled(() => false)
    stored(5)
    await sleep(DELAY_MS + 300)
    await aggregator.close()
    assert.ok(steps.length > 0, 'no background chunk')
    assert.ok(steps[0].at < DELAY_MS + 250, `first chunk after ${steps[0].at.toFixed(0)} ms`)
  })

  it('lets steady ingest go first, folding at most MAX_DEFER_MS later', async () => {
    const {aggregator, steps, stored} = scheduled(() => true)
    stored(5)
    await sleep(DELAY_MS + MAX_DEFER_MS / 2)
    assert.equal(steps.length, 0, 'a chunk ran while ingest was busy')
    await sleep(MAX_DEFER_MS)
    await aggregator.close()
    assert.ok(steps.length > 0, 'the chunk waited past MAX_DEFER_MS')
    assert.ok(steps[0].at >= DELAY_MS + MAX_DEFER_MS - 50, `first chunk after ${steps[0].at.toFixed(0)} ms`)
  })

  it('folds at once for a report, even while ingest is busy', async () => {
    const {aggregator, steps, stored} = scheduled(() => true)
    stored(5)
    // The background run has started and is waiting for ingest to pause.
    await sleep(DELAY_MS + 100)
    const asked = performance.now()
    await aggregator.catchUp()
    const waited = performance.now() - asked
    const folded = steps.reduce((n, s) => n + s.folded, 0)
    await aggregator.close()
    assert.ok(waited < 500, `the report waited ${waited.toFixed(0)} ms for the aggregates`)
    assert.ok(
      steps.every((s) => !s.background),
      'the background run folded instead of handing over to the report',
    )
    // Everything stored was folded before the report went on.
    assert.equal(folded, 5)
  })

  it('folds a backlog of full chunks back to back, even while ingest is busy', async () => {
    const {aggregator, steps, stored} = scheduled(() => true)
    stored(2 * CHUNK_EVENTS + 5)
    const deadline = performance.now() + DELAY_MS + MAX_DEFER_MS + 3000
    while (steps.length < 3 && performance.now() < deadline) await sleep(20)
    await aggregator.close()
    assert.deepEqual(
      steps.map((s) => s.folded),
      [CHUNK_EVENTS, CHUNK_EVENTS, 5],
    )
    // Only the first chunk waited for ingest to pause.
    assert.ok(steps[2].at - steps[0].at < 200, `chunks at ${steps.map((s) => s.at.toFixed(0)).join(', ')} ms`)
  })
})
