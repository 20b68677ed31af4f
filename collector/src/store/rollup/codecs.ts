/** Binary form of histograms: little-endian 32-bit (bucket, count) pairs. */
import type {Histogram} from '../report/histogram.js'

export function encodeHistogram(histogram: Histogram): Buffer {
  const keys = [...histogram.keys()].sort((a, b) => a - b)
  const out = new Int32Array(keys.length * 2)
  for (const [i, key] of keys.entries()) {
    out[2 * i] = key
    out[2 * i + 1] = histogram.get(key)!
  }

  return Buffer.from(out.buffer)
}

function int32s(bytes: Uint8Array): Int32Array {
  // Copy when unaligned: Int32Array needs a 4-byte aligned offset.
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : Uint8Array.from(bytes)
  return new Int32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4)
}

export function addHistogram(target: Histogram, bytes: null | Uint8Array, sign = 1): void {
  if (bytes === null) return
  const values = int32s(bytes)
  for (let i = 0; i < values.length; i += 2) {
    const next = (target.get(values[i]) ?? 0) + sign * values[i + 1]
    if (next === 0) target.delete(values[i])
    else target.set(values[i], next)
  }
}
