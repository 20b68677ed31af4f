/**
 * Duration histograms with DDSketch's logarithmic buckets (1% relative accuracy): counts per bucket
 * are plain sums, so histograms merge and subtract exactly, and percentiles read from any merge.
 */
import {LogarithmicMapping} from '@datadog/sketches-js/dist/ddsketch/mapping/index.js'

const mapping = new LogarithmicMapping(0.01)
/** Bucket of durations too small for the mapping (0 ms). */
export const ZERO_BUCKET = -0x80_00

/** Bucket key of a duration in ms (>= 0). */
export function bucketOf(ms: number): number {
  return ms < mapping.minPossible ? ZERO_BUCKET : mapping.key(ms)
}

/** Representative value of a bucket, rounded to 0.1 ms. */
export function bucketValue(key: number): number {
  return key === ZERO_BUCKET ? 0 : Math.round(mapping.value(key) * 10) / 10
}

/** Bucket key -> count. */
export type Histogram = Map<number, number>

export function addTo(target: Histogram, key: number, count: number): void {
  const next = (target.get(key) ?? 0) + count
  if (next === 0) target.delete(key)
  else target.set(key, next)
}

/** Values at the quantiles `qs` (DDSketch's rank rule: the bucket holding rank q * (n - 1)). */
export function quantiles(histogram: Histogram, qs: readonly number[]): (null | number)[] {
  let total = 0
  for (const count of histogram.values()) total += count
  if (total === 0) return qs.map(() => null)
  const keys = [...histogram.keys()].sort((a, b) => a - b)
  return qs.map((q) => {
    const rank = q * (total - 1)
    let seen = 0
    for (const key of keys) {
      seen += histogram.get(key)!
      if (seen > rank) return bucketValue(key)
    }

    return bucketValue(keys.at(-1)!)
  })
}
