/**
 * Durations as DDSketch's logarithmic buckets (1% relative accuracy): the engine stores a bucket
 * per event, so percentiles are read over small integers and shown as the bucket's value.
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
