import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {MONTH, WEEK} from '../../src/store/rollup/periods.js'
import {lostOnRebuild} from '../../src/store/rollup/rebuild-check.js'

// 2026-11-02 is a Monday: day 20759, and its week WEEK + 20759. November 2026 is MONTH + 2026 * 12 + 10.
const MONDAY = 20_759
const NOVEMBER = MONTH + 2026 * 12 + 10
const days = (...counts: [number, number][]) => new Map(counts)

describe('lostOnRebuild', () => {
  it('is 0 when the raw events account for every day, week and month', () => {
    const totals = [
      {events: 3, period: MONDAY},
      {events: 2, period: MONDAY + 1},
      {events: 5, period: WEEK + MONDAY},
    ]
    assert.equal(lostOnRebuild(totals, days([MONDAY, 3], [MONDAY + 1, 2])), 0)
    // More raw events than aggregated (not folded yet, or their aggregates purged): nothing is lost.
    assert.equal(lostOnRebuild(totals, days([MONDAY, 9], [MONDAY + 1, 2])), 0)
    assert.equal(lostOnRebuild([], days([MONDAY, 1])), 0)
  })

  it('counts the events of days whose raw events were purged, in part or whole', () => {
    const totals = [
      {events: 3, period: MONDAY},
      {events: 2, period: MONDAY + 1},
      {events: 4, period: MONDAY + 2},
    ]
    assert.equal(lostOnRebuild(totals, days([MONDAY + 1, 1], [MONDAY + 2, 4])), 3 + 1)
  })

  it('counts what a kept week or month holds of days whose rows were purged (purge --rollups)', () => {
    // The week and the month keep all 10 events; only the last day's row and raw events are left.
    const totals = [
      {events: 10, period: WEEK + MONDAY},
      {events: 10, period: NOVEMBER},
      {events: 4, period: MONDAY + 6},
    ]
    assert.equal(lostOnRebuild(totals, days([MONDAY + 6, 4])), 6)
  })

  it('checks the days of each period only: raw events of another week do not make up for a purged one', () => {
    const totals = [{events: 5, period: WEEK + MONDAY}]
    assert.equal(lostOnRebuild(totals, days([MONDAY + 7, 50])), 5)
  })
})
