/** Periods of the aggregates: which weeks and months are closed, and the periods a report reads. */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {
  advance,
  type DayRow,
  daySpan,
  partsOf,
  startingClosedThrough,
  summedRows,
  withEventDays,
} from '../../src/store/rollup/close.js'
import {encodeSorted} from '../../src/store/rollup/instance-set.js'
import {
  closing,
  cover,
  daysOf,
  GRACE_DAYS,
  isClosed,
  labelOf,
  MONTH,
  periodsOf,
  WEEK,
} from '../../src/store/rollup/periods.js'

const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / 86_400_000
const labels = (periods: number[]) => periods.map((p) => labelOf(p))
const fact = (iso: string) => ({ts: Date.parse(`${iso}T12:00:00Z`)}) as Parameters<typeof advance>[1][number]

const range = (from: number, to: number, step: number) =>
  Array.from({length: Math.floor((to - from) / step) + 1}, (_, i) => from + i * step)
const part = (value: number, numbers: number[]): DayRow => ({
  dim: 2,
  events: numbers.length,
  failures: 1,
  histogram: null,
  instances: encodeSorted(numbers),
  level: 0,
  value,
})

describe('aggregate periods', () => {
  it('know the first and last day of a day, an ISO week and a month', () => {
    const [d, w, m] = periodsOf(Date.parse('2026-02-18T10:00:00Z'))
    assert.deepEqual(daysOf(d), [day('2026-02-18'), day('2026-02-18')])
    assert.deepEqual(daysOf(w), [day('2026-02-16'), day('2026-02-22')])
    assert.deepEqual(daysOf(m), [day('2026-02-01'), day('2026-02-28')])
    assert.ok(w >= WEEK && m >= MONTH)
  })

  it('close a week or month on its last day, and only then', () => {
    const [, week, month] = periodsOf(Date.parse('2026-05-31T10:00:00Z'))
    assert.equal(isClosed(week, day('2026-05-30')), false)
    assert.equal(isClosed(week, day('2026-05-31')), true)
    assert.equal(isClosed(month, day('2026-05-30')), false)
    assert.equal(isClosed(month, day('2026-05-31')), true)
    // 2026-05-31 is a Sunday: its week and its month close together, the week first.
    assert.deepEqual(labels(closing(day('2026-05-30'), day('2026-05-31'))), ['2026-W22', '2026-05'])
    assert.deepEqual(closing(day('2026-05-25'), day('2026-05-30')), [])
  })

  it('read a range as whole closed months, then closed weeks, then days', () => {
    const first = day('2026-03-01')
    const last = day('2026-05-20')
    const all = cover(first, last, {months: true, weeks: true})
    // 2026-05-01 is a Friday: its first days, then its weeks.
    assert.deepEqual(labels(all).slice(0, 6), [
      '2026-03',
      '2026-04',
      '2026-05-01',
      '2026-05-02',
      '2026-05-03',
      '2026-W19',
    ])
    // Nothing closed after April: May is read from its days.
    const open = cover(first, last, {months: true, weeks: true}, day('2026-04-30'))
    assert.deepEqual(labels(open).slice(0, 2), ['2026-03', '2026-04'])
    assert.equal(open.length, 2 + 20)
    assert.ok(open.slice(2).every((p) => p < WEEK))
  })

  it('move the closed-through day with the newest event, less the grace, never past today', () => {
    const chunk = [fact('2026-03-02'), fact('2026-03-10')]
    const start = startingClosedThrough(null, chunk)
    assert.equal(start, day('2026-03-02') - 1)
    const now = Date.parse('2026-11-28T12:00:00Z')
    const moved = advance(start, chunk, now)
    assert.equal(moved.closedThrough, day('2026-03-10') - GRACE_DAYS)
    assert.deepEqual(labels(moved.periods), ['2026-W10'])
    // An event dated ahead of the clock closes nothing ahead of today.
    assert.equal(advance(start, [fact('2027-01-05')], now).closedThrough, day('2026-11-28') - GRACE_DAYS)
    // Never backwards.
    assert.deepEqual(advance(moved.closedThrough, [fact('2026-03-01')], now), {
      closedThrough: moved.closedThrough,
      periods: [],
    })
  })

  it('sum only the closing weeks and months that have a day with events', () => {
    // From an event in March 2001 to the fleet of November 2026: 25 years close at once.
    const now = Date.parse('2026-11-28T12:00:00Z')
    const {periods} = advance(day('2001-03-15'), [fact('2026-11-20')], now)
    assert.ok(periods.length > 1500, `${periods.length} periods`)
    assert.deepEqual(daySpan(periods), [day('2001-03-01'), day('2026-11-15')])
    const days = new Set([day('2001-03-15'), day('2026-10-31'), day('2026-11-02')])
    assert.deepEqual(labels(withEventDays(periods, days)), ['2001-W11', '2001-03', '2026-10', '2026-W44', '2026-W45'])
    assert.deepEqual(withEventDays(periods, new Set()), [])
  })

  it('sum a month from its closed weeks and the days around them', () => {
    const may = periodsOf(Date.parse('2026-05-10T00:00:00Z'))[2]
    const parts = partsOf(may, day('2026-05-31'))
    assert.deepEqual(labels(parts), [
      '2026-05-01',
      '2026-05-02',
      '2026-05-03',
      '2026-W19',
      '2026-W20',
      '2026-W21',
      '2026-W22',
    ])
  })

  it('sum a closing period from its parts: counts added, instance sets unioned, small and large', () => {
    // Value 1: large sets (bitmaps and long lists); value 2: a few numbers each.
    const rows = summedRows(WEEK + day('2026-05-04'), [
      part(1, range(0, 19_999, 2)),
      part(1, range(1, 9999, 3)),
      part(1, range(15_000, 15_400, 1)),
      part(2, [5, 9]),
      part(2, [9, 400]),
    ])
    assert.deepEqual(
      rows.map((r) => [r.value, r.events, r.failures]),
      [
        [1, 10_000 + 3333 + 401, 3],
        [2, 4, 2],
      ],
    )
    const expected = [...new Set([...range(0, 19_999, 2), ...range(1, 9999, 3), ...range(15_000, 15_400, 1)])].sort(
      (a, b) => a - b,
    )
    assert.deepEqual(rows[0].instances, expected)
    assert.deepEqual(
      [...new Set(rows[1].instances)].sort((a, b) => a - b),
      [5, 9, 400],
    )
  })
})
