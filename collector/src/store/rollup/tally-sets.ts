/**
 * Session tallies stored packed: one row per period and kind, its cells (dictionary ids of tally
 * keys) and their counts as varint pairs, in cell order. A sessions report then reads one row per
 * period instead of one per cell and period, and sums them in memory.
 */
import type {Dictionary} from '../dictionary.js'

import {addTo} from '../report/histogram.js'
import {mergeHistogram} from './codecs.js'
import {type AggDelta, splitPeriodKey} from './delta.js'
import {TALLY_KIND, tallyKind} from './tallies.js'
import {forEachPair} from './varint.js'

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
  return mergeHistogram(stored, changes)
}

/** A closing period's tallies: its parts' sets (`kind`, `cells`) summed per kind. */
export function closedTallies(period: number, parts: readonly {cells: Uint8Array; kind: number}[]): TallyChange[] {
  return Object.values(TALLY_KIND)
    .map((kind) => ({changes: sumCounts(parts.filter((t) => t.kind === kind).map((t) => t.cells)), kind, period}))
    .filter((t) => t.changes.size > 0)
}

/**
 * Stored sets summed per cell, into an array indexed by cell (a report sums tens of thousands of
 * cells per period: no map), then visited in cell order, zero sums left out.
 */
export function forEachSum(sets: Iterable<null | Uint8Array>, visit: (cell: number, n: number) => void): void {
  let sums = new Float64Array(1024)
  const add = (cell: number, n: number) => {
    if (cell >= sums.length) {
      const grown = new Float64Array(Math.max(cell + 1, sums.length * 2))
      grown.set(sums)
      sums = grown
    }

    sums[cell] += n
  }

  for (const bytes of sets) if (bytes !== null) forEachPair(bytes, add)
  for (let cell = 0; cell < sums.length; cell++) if (sums[cell] !== 0) visit(cell, sums[cell])
}

/** The sum of stored sets, per cell. */
export function sumCounts(sets: Iterable<null | Uint8Array>): Counts {
  const counts: Counts = new Map()
  forEachSum(sets, (cell, n) => counts.set(cell, n))
  return counts
}
