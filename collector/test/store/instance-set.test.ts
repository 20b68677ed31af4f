/** Instance sets and histograms as the aggregates store them: exact through every change of form. */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import type {Histogram} from '../../src/store/report/histogram.js'

import {addHistogram, encodeHistogram, mergeHistogram} from '../../src/store/rollup/codecs.js'
import {
  decodeSet,
  encodeSorted,
  setSize,
  sortedDistinct,
  Union,
  updateSet,
} from '../../src/store/rollup/instance-set.js'

/** Deterministic pseudo-random integers. */
function numbers(seed: number, n: number, max: number): number[] {
  let x = seed
  return Array.from({length: n}, () => {
    x = (x * 1_103_515_245 + 12_345) % 2_147_483_648
    return 1 + (x % max)
  })
}

describe('instance sets', () => {
  it('keep exactly their numbers, sparse (list) or dense (bitmap), whichever is smaller', () => {
    for (const [n, max] of [
      [1, 10],
      [5, 20_000],
      [300, 20_000],
      [5000, 20_000],
      [20_000, 20_000],
      [50, 5_000_000],
    ]) {
      const expected = [...new Set(numbers(n, n, max))].sort((a, b) => a - b)
      const bytes = encodeSorted(sortedDistinct(numbers(n, n, max)))!
      assert.deepEqual(decodeSet(bytes), expected)
      assert.equal(setSize(bytes), expected.length)
      // Never larger than the smaller form needs (list: at most 4 bytes a number; bitmap: max/8).
      assert.ok(bytes.length <= Math.min(1 + 4 * expected.length, 2 + expected.at(-1)! / 8), `${n}/${max}`)
    }
  })

  it('take additions and a removal, changing form as they grow and shrink', () => {
    let bytes: Buffer | null = null
    const reference = new Set<number>()
    for (let round = 0; round < 40; round++) {
      const add = numbers(round + 1, 200, 10_000)
      for (const x of add) reference.add(x)
      const removed = round % 3 === 0 ? [...reference][round % reference.size] : undefined
      if (removed !== undefined) reference.delete(removed)
      bytes = updateSet(bytes, sortedDistinct(add.filter((x) => x !== removed)), removed)
      assert.deepEqual(
        decodeSet(bytes),
        [...reference].sort((a, b) => a - b),
      )
    }

    // Emptied: null.
    assert.equal(updateSet(encodeSorted([7]), [], 7), null)
    // A list merged as it is decoded: 0 first, repeats, a gap of four bytes, a removal among the
    // additions, and a list grown into a bitmap.
    assert.deepEqual(
      decodeSet(updateSet(encodeSorted([0, 5, 2_000_000]), [0, 3, 5, 2_000_001, 5_000_000], 5)),
      [0, 3, 2_000_000, 2_000_001, 5_000_000],
    )
    assert.deepEqual(decodeSet(updateSet(null, [4, 9])), [4, 9])
    const sparse = encodeSorted([0, 40])!
    assert.equal(sparse[0], 0, 'a list while it is the smaller form')
    const dense = updateSet(sparse, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])!
    assert.equal(dense[0], 1, 'a bitmap once it is the smaller form')
    assert.deepEqual(decodeSet(dense), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 40])
  })

  it('union into one bitmap whose bits count the distinct instances', () => {
    const union = new Union()
    const all = new Set<number>()
    for (let i = 0; i < 10; i++) {
      const part = numbers(i + 100, i * 500 + 3, 30_000)
      for (const x of part) all.add(x)
      union.add(encodeSorted(sortedDistinct(part)))
    }

    assert.equal(union.size(), all.size)
    // Lists (sparse, gaps of one to three bytes) and bitmaps (dense) alike, each number in place,
    // with the first number (0) and a far one (a gap of four bytes).
    union.add(encodeSorted([0, 2_000_000]))
    all.add(0).add(2_000_000)
    assert.equal(union.size(), all.size)
    assert.deepEqual(
      union.numbers(),
      [...all].sort((a, b) => a - b),
    )
  })
})

describe('histograms', () => {
  it('round-trip negative and large bucket keys and counts, and subtract to nothing', () => {
    const histogram: Histogram = new Map([
      [-32_768, 3],
      [-5, 1],
      [0, 200_000],
      [17, 1],
      [1500, 2_000_000_000],
    ])
    const merged: Histogram = new Map()
    addHistogram(merged, encodeHistogram(histogram))
    assert.deepEqual(
      [...merged].sort((a, b) => a[0] - b[0]),
      [...histogram].sort((a, b) => a[0] - b[0]),
    )
    addHistogram(merged, encodeHistogram(histogram), -1)
    assert.equal(merged.size, 0)
  })

  it('merge changes into a stored histogram as a map would, dropping counts that reach zero', () => {
    for (let round = 0; round < 50; round++) {
      const reference: Histogram = new Map()
      const stored: Histogram = new Map()
      const change: Histogram = new Map()
      for (const [i, key] of numbers(round + 7, 30, 200).entries()) {
        const target = i % 2 === 0 ? stored : change
        target.set(key - 100, (target.get(key - 100) ?? 0) + (i % 5) + 1)
      }

      // Some changes take a stored count away entirely.
      for (const [key, n] of [...stored].slice(0, round % 4)) change.set(key, -n)
      for (const h of [stored, change]) for (const [key, n] of h) reference.set(key, (reference.get(key) ?? 0) + n)
      for (const [key, n] of reference) if (n === 0) reference.delete(key)
      // Byte for byte what the reference encodes (no pair of a count that reached zero).
      const merged = mergeHistogram(stored.size > 0 ? encodeHistogram(stored) : null, change)
      assert.deepEqual(merged, reference.size > 0 ? encodeHistogram(reference) : null)
    }

    assert.equal(mergeHistogram(encodeHistogram(new Map([[3, 2]])), new Map([[3, -2]])), null)
  })
})
