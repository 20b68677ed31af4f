/**
 * Binary form of histograms: varints of (bucket key minus the previous one, zigzag-coded; count) pairs,
 * keys ascending, so a typical bucket takes two bytes.
 */
import type {Histogram} from '../report/histogram.js'

import {encodeVarints, forEachPair, zigzag} from './varint.js'

export function encodeHistogram(histogram: Histogram): Buffer {
  const keys = [...histogram.keys()].sort((a, b) => a - b)
  const values: number[] = []
  let previous = 0
  for (const key of keys) {
    values.push(zigzag(key - previous), histogram.get(key)!)
    previous = key
  }

  return encodeVarints(values)
}

export function addHistogram(target: Histogram, bytes: null | Uint8Array, sign = 1): void {
  if (bytes === null) return
  forEachPair(bytes, (key, count) => {
    const next = (target.get(key) ?? 0) + sign * count
    if (next === 0) target.delete(key)
    else target.set(key, next)
  })
}
