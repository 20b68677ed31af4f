/**
 * Unsigned LEB128 varints (7 bits a byte): the aggregates' histograms and instance lists are runs of
 * small numbers (deltas between sorted keys, counts), one or two bytes each instead of four.
 */
/* eslint-disable no-bitwise -- byte packing */

/** Bytes of non-negative safe integers. */
export function encodeVarints(values: Float64Array | readonly number[], prefix = 0): Buffer {
  const out: number[] = []
  for (let i = 0; i < prefix; i++) out.push(0)
  for (let v of values) {
    while (v >= 0x80) {
      out.push((v % 0x80) | 0x80)
      v = Math.floor(v / 0x80)
    }

    out.push(v)
  }

  return Buffer.from(out)
}

/** The integers of `bytes` from `start`. */
export function decodeVarints(bytes: Uint8Array, start = 0): number[] {
  const out: number[] = []
  let value = 0
  let scale = 1
  for (let i = start; i < bytes.length; i++) {
    const byte = bytes[i]
    value += (byte & 0x7f) * scale
    if (byte < 0x80) {
      out.push(value)
      value = 0
      scale = 1
    } else {
      scale *= 0x80
    }
  }

  return out
}

/**
 * The (key, count) pairs of a counts map as codecs.ts encodes it (zigzag gaps between ascending
 * keys, then counts), decoded in place: no array of the integers is built.
 */
export function forEachPair(bytes: Uint8Array, visit: (key: number, count: number) => void): void {
  let key = 0
  let gap = -1
  let value = 0
  let scale = 1
  for (const byte of bytes) {
    value += (byte & 0x7f) * scale
    if (byte >= 0x80) {
      scale *= 0x80
      continue
    }

    if (gap < 0) {
      gap = value
    } else {
      key += unzigzag(gap)
      visit(key, value)
      gap = -1
    }

    value = 0
    scale = 1
  }
}

/** Signed to unsigned (0, -1, 1, -2 ... -> 0, 1, 2, 3 ...). */
export function zigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1
}

export function unzigzag(n: number): number {
  return n % 2 === 0 ? n / 2 : -(n + 1) / 2
}
