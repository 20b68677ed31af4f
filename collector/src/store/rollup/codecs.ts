/**
 * Binary form of histograms: varints of (bucket key minus the previous one, zigzag-coded; count) pairs,
 * keys ascending, so a typical bucket takes two bytes.
 */
import type {Histogram} from '../report/histogram.js'

import {decodeVarints, encodeVarints, unzigzag, zigzag} from './varint.js'

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
  const values = decodeVarints(bytes)
  let key = 0
  for (let i = 0; i < values.length; i += 2) {
    key += unzigzag(values[i])
    const next = (target.get(key) ?? 0) + sign * values[i + 1]
    if (next === 0) target.delete(key)
    else target.set(key, next)
  }
}
