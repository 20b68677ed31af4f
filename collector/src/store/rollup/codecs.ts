/**
 * Binary form of histograms: varints of (bucket key minus the previous one, zigzag-coded; count) pairs,
 * keys ascending, so a typical bucket takes two bytes.
 */
import type {Histogram} from '../report/histogram.js'

import {forEachPair, VarintWriter, zigzag} from './varint.js'

const writer = new VarintWriter()

export function encodeHistogram(histogram: Histogram): Buffer {
  return mergeHistogram(null, histogram) ?? writer.begin().end()
}

/**
 * A stored histogram with `change` added, merged as it is decoded (both are in key order); null
 * when no count is left.
 */
export function mergeHistogram(stored: null | Uint8Array, change: Histogram): Buffer | null {
  const keys = [...change.keys()].sort((a, b) => a - b)
  writer.begin()
  let previous = 0
  let k = 0
  const put = (key: number, count: number) => {
    if (count === 0) return
    writer.write(zigzag(key - previous))
    writer.write(count)
    previous = key
  }

  if (stored !== null) {
    forEachPair(stored, (key, count) => {
      for (; k < keys.length && keys[k] < key; k++) put(keys[k], change.get(keys[k])!)
      if (k < keys.length && keys[k] === key) put(key, count + change.get(keys[k++])!)
      else put(key, count)
    })
  }

  for (; k < keys.length; k++) put(keys[k], change.get(keys[k])!)
  return writer.length === 0 ? null : writer.end()
}

export function addHistogram(target: Histogram, bytes: null | Uint8Array, sign = 1): void {
  if (bytes === null) return
  forEachPair(bytes, (key, count) => {
    const next = (target.get(key) ?? 0) + sign * count
    if (next === 0) target.delete(key)
    else target.set(key, next)
  })
}
