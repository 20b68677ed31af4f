/**
 * Session tallies stored packed: one row per period and kind, its cells (dictionary ids of tally
 * keys) and their counts as varint pairs, in cell order. A sessions report then reads one row per
 * period instead of one per cell and period, and sums them in memory.
 */
import type {Dictionary} from '../dictionary.js'

import {addTo} from '../report/histogram.js'
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

/** The sum of stored sets. */
export function sumCounts(sets: Iterable<null | Uint8Array>): Counts {
  const counts: Counts = new Map()
  for (const set of sets) addCounts(counts, set)
  return counts
}
