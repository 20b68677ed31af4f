/** Packed session tallies: merged and summed exactly. */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {mergeCounts, sumCounts} from '../../src/store/rollup/tally-sets.js'

describe('packed tallies', () => {
  it('sum sets of any cells and counts as a map would', () => {
    let x = 7
    const next = (max: number) => {
      x = (x * 1_103_515_245 + 12_345) % 2_147_483_648
      return x % max
    }

    const sets: Map<number, number>[] = Array.from({length: 12}, (_, i) => {
      const set = new Map<number, number>()
      for (let k = 0; k < 3000; k++) set.set(next(i % 2 ? 200_000 : 5000), 1 + next(i % 3 ? 3 : 100_000))
      return set
    })
    const expected = new Map<number, number>()
    for (const set of sets) for (const [cell, n] of set) expected.set(cell, (expected.get(cell) ?? 0) + n)
    const packed = sets.map((set) => mergeCounts(null, set))
    const sum = sumCounts([...packed, null])
    assert.deepEqual(new Map([...sum].sort((a, b) => a[0] - b[0])), new Map([...expected].sort((a, b) => a[0] - b[0])))
  })

  it('drop a cell whose count falls to zero, and the whole set when none is left', () => {
    const set = mergeCounts(
      null,
      new Map([
        [5, 2],
        [9, 1],
      ]),
    )
    assert.deepEqual(sumCounts([mergeCounts(set, new Map([[9, -1]]))]), new Map([[5, 2]]))
    assert.equal(
      mergeCounts(
        set,
        new Map([
          [5, -2],
          [9, -1],
        ]),
      ),
      null,
    )
  })
})
