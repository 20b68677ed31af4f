/** Varints: every non-negative safe integer round-trips; anything else is refused, never written wrong. */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {decodeVarints, forEachPair, VarintWriter, zigzag} from '../../src/store/rollup/varint.js'

describe('varints', () => {
  it('round-trip the edges of every byte length, up to the largest safe integer', () => {
    const values = [0, 1, 127, 128, 16_383, 16_384, 2 ** 21, 2 ** 35 + 7, 2 ** 49 - 1, Number.MAX_SAFE_INTEGER]
    const writer = new VarintWriter().begin(2)
    for (const v of values) writer.write(v)
    const bytes = writer.end()
    assert.deepEqual(decodeVarints(bytes, 2), values)
    assert.ok(bytes.length <= 2 + 8 * values.length)
  })

  it('refuses negative, fractional and non-finite numbers', () => {
    const writer = new VarintWriter().begin()
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      assert.throws(() => writer.write(bad), RangeError, String(bad))
    }

    assert.equal(writer.length, 0)
  })

  it('decodes (key, count) pairs of ascending keys in place', () => {
    const pairs: [number, number][] = [
      [3, 1],
      [200, 5],
      [70_000, 1],
    ]
    const writer = new VarintWriter().begin()
    let last = 0
    for (const [key, count] of pairs) {
      writer.write(zigzag(key - last))
      writer.write(count)
      last = key
    }

    const seen: [number, number][] = []
    forEachPair(writer.view(), (key, count) => seen.push([key, count]))
    assert.deepEqual(seen, pairs)
  })
})
