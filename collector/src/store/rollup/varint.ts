/**
 * Unsigned LEB128 varints (7 bits a byte): the aggregates' histograms and instance lists are runs of
 * small numbers (deltas between sorted keys, counts), one or two bytes each instead of four.
 */
/* eslint-disable no-bitwise -- byte packing */

/**
 * Varints written into one growing scratch buffer and copied out once complete: the aggregator
 * encodes thousands of sets and histograms a chunk, and an array of numbers per encoding (then a
 * Buffer of it) made most of its garbage. Encodings never nest, so each module keeps one writer.
 */
export class VarintWriter {
  length = 0
  private bytes = new Uint8Array(4096)

  /** Start an encoding with `zeros` zero bytes (a tag). */
  begin(zeros = 0): this {
    this.length = 0
    for (let i = 0; i < zeros; i++) this.byte(0)
    return this
  }

  /** The bytes written since begin(), copied. */
  end(): Buffer {
    return Buffer.from(this.bytes.subarray(0, this.length))
  }

  /** The bytes written since begin(), read in place until the next begin(). */
  view(): Uint8Array {
    return this.bytes.subarray(0, this.length)
  }

  /** A non-negative safe integer (at most 8 bytes); anything else throws rather than corrupt the set. */
  write(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0)
      throw new RangeError(`varint: ${value} is not a non-negative safe integer`)
    if (this.length + 8 > this.bytes.length) this.grow()
    let v = value
    while (v >= 0x80) {
      this.bytes[this.length++] = (v % 0x80) | 0x80
      v = Math.floor(v / 0x80)
    }

    this.bytes[this.length++] = v
  }

  private byte(value: number): void {
    if (this.length + 1 > this.bytes.length) this.grow()
    this.bytes[this.length++] = value
  }

  private grow(): void {
    const next = new Uint8Array(this.bytes.length * 2)
    next.set(this.bytes)
    this.bytes = next
  }
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
