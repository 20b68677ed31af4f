/**
 * Session tallies stored packed: one row per period and kind, its cells (dictionary ids of tally
 * keys) and their counts as varint pairs, in cell order. A sessions report then reads one row per
 * period instead of one per cell and period, and sums them in memory.
 */
import type {Dictionary} from '../dictionary.js'

import {addTo} from '../report/histogram.js'
/* eslint-disable no-bitwise -- varint decoding */
import {addHistogram as addCounts, encodeHistogram as encodeCounts} from './codecs.js'
import {type AggDelta, splitPeriodKey} from './delta.js'
import {tallyKind} from './tallies.js'

/** Cell -> count. */
export type Counts = Map<number, number>

export interface TallyChange {
  changes: Counts
  kind: number
  period: number
}

/** A delta's tally changes per period and kind, in key order (the order every writer updates them). */
export function tallyChanges(delta: AggDelta, dict: Dictionary): TallyChange[] {
  const byKey = new Map<string, TallyChange>()
  for (const [pk, n] of delta.tallies) {
    const [period, key] = splitPeriodKey(pk)
    const kind = tallyKind(key)
    let change = byKey.get(`${period} ${kind}`)
    if (!change) byKey.set(`${period} ${kind}`, (change = {changes: new Map(), kind, period}))
    addTo(change.changes, dict.idOf(key)!, n)
  }

  return [...byKey.values()].sort((a, b) => a.period - b.period || a.kind - b.kind)
}

/** A stored set with changes added; null when no count is left. */
export function mergeCounts(stored: null | Uint8Array, changes: Counts): Buffer | null {
  const counts: Counts = new Map()
  addCounts(counts, stored)
  for (const [cell, n] of changes) addTo(counts, cell, n)
  return counts.size === 0 ? null : encodeCounts(counts)
}

/**
 * The sum of stored sets. Decoded in place into an array indexed by cell (a report sums tens of
 * thousands of cells per period: no intermediate arrays, no map).
 */
export function sumCounts(sets: Iterable<null | Uint8Array>): Counts {
  let sums = new Float64Array(1024)
  for (const bytes of sets) {
    if (bytes === null) continue
    let cell = 0
    let i = 0
    while (i < bytes.length) {
      // A pair: zigzag gap to the previous cell, then the count (unsigned LEB128 varints, see codecs.ts).
      let gap = 0
      let scale = 1
      let byte: number
      do {
        byte = bytes[i++]
        gap += (byte & 0x7f) * scale
        scale *= 0x80
      } while (byte & 0x80)

      cell += gap % 2 === 0 ? gap / 2 : -(gap + 1) / 2
      let n = 0
      scale = 1
      do {
        byte = bytes[i++]
        n += (byte & 0x7f) * scale
        scale *= 0x80
      } while (byte & 0x80)

      if (cell >= sums.length) {
        const grown = new Float64Array(Math.max(cell + 1, sums.length * 2))
        grown.set(sums)
        sums = grown
      }

      sums[cell] += n
    }
  }

  const counts: Counts = new Map()
  for (let cell = 0; cell < sums.length; cell++) if (sums[cell] !== 0) counts.set(cell, sums[cell])
  return counts
}
