/**
 * Exact sets of instance numbers, as stored in an aggregate row: a sorted list of little-endian
 * 32-bit numbers when few, a bitmap (after a -1 marker) when dense, whichever is smaller. Reports
 * OR the sets of a key's rows into one bitmap and count its bits.
 */
/* eslint-disable no-bitwise -- bitmaps */

const BITMAP = -1

function int32s(bytes: Uint8Array): Int32Array {
  // Copy when unaligned: Int32Array needs a 4-byte aligned offset.
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : Uint8Array.from(bytes)
  return new Int32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength >> 2)
}

const POPCOUNT = Uint8Array.from({length: 256}, (_, i) => {
  let n = 0
  for (let v = i; v; v >>= 1) n += v & 1
  return n
})

export function popcount(bits: Uint8Array): number {
  let n = 0
  for (const byte of bits) n += POPCOUNT[byte]
  return n
}

/** Encode sorted distinct numbers (> 0); null when empty. */
export function encodeSorted(sorted: ArrayLike<number>): Buffer | null {
  const n = sorted.length
  if (n === 0) return null
  const max = sorted[n - 1]
  const bitmapBytes = 4 + (max >> 3) + 1
  if (n * 4 <= bitmapBytes) return Buffer.from(Int32Array.from(sorted).buffer)
  const out = Buffer.alloc(bitmapBytes)
  out.writeInt32LE(BITMAP, 0)
  for (let i = 0; i < n; i++) out[4 + (sorted[i] >> 3)] |= 1 << (sorted[i] & 7)
  return out
}

/** The numbers of a stored set, ascending. */
export function decodeSet(bytes: null | Uint8Array): number[] {
  if (bytes === null || bytes.byteLength === 0) return []
  const head = int32s(bytes.subarray(0, 4))[0]
  if (head !== BITMAP) return [...int32s(bytes)]
  const out: number[] = []
  for (let i = 4; i < bytes.byteLength; i++) {
    const byte = bytes[i]
    if (byte === 0) continue
    for (let b = 0; b < 8; b++) if (byte & (1 << b)) out.push(((i - 4) << 3) + b)
  }

  return out
}

/** Size of a stored set. */
export function setSize(bytes: null | Uint8Array): number {
  if (bytes === null || bytes.byteLength === 0) return 0
  const head = int32s(bytes.subarray(0, 4))[0]
  return head === BITMAP ? popcount(bytes.subarray(4)) : bytes.byteLength >> 2
}

/**
 * A stored set with `add` added and `remove` taken away; null when it ends empty. A bitmap is
 * updated in place (a copy), a list merged; either may change form when the other gets smaller.
 */
export function updateSet(bytes: null | Uint8Array, add: Set<number>, remove?: number): Buffer | null {
  if (bytes !== null && bytes.byteLength >= 4 && int32s(bytes.subarray(0, 4))[0] === BITMAP) {
    let max = 0
    for (const n of add) if (n > max) max = n
    const out = Buffer.alloc(Math.max(bytes.byteLength, 4 + (max >> 3) + 1))
    out.set(bytes)
    for (const n of add) out[4 + (n >> 3)] |= 1 << (n & 7)
    if (remove !== undefined && 4 + (remove >> 3) < out.length) {
      out[4 + (remove >> 3)] &= ~(1 << (remove & 7))
      // Sparse again after deletions: the list may be smaller.
      const size = popcount(out.subarray(4))
      if (size * 4 < out.length) return encodeSorted(decodeSet(out))
    }

    return out
  }

  const old = bytes === null ? new Int32Array(0) : int32s(bytes)
  const fresh = Float64Array.from(add).sort()
  const merged: number[] = []
  let i = 0
  let j = 0
  while (i < old.length || j < fresh.length) {
    const next = j >= fresh.length || (i < old.length && old[i] <= fresh[j]) ? old[i++] : fresh[j++]
    if (next !== remove && next !== merged.at(-1)) merged.push(next)
  }

  return encodeSorted(merged)
}

/** A growing bitmap that stored sets are ORed into. */
export class Union {
  private bits = new Uint8Array(0)

  add(bytes: null | Uint8Array): void {
    if (bytes === null || bytes.byteLength === 0) return
    const head = int32s(bytes.subarray(0, 4))[0]
    if (head === BITMAP) {
      const src = bytes.subarray(4)
      this.grow(src.length)
      for (let i = 0; i < src.length; i++) this.bits[i] |= src[i]
      return
    }

    const list = int32s(bytes)
    this.grow((list.at(-1)! >> 3) + 1)
    for (const n of list) this.bits[n >> 3] |= 1 << (n & 7)
  }

  size(): number {
    return popcount(this.bits)
  }

  private grow(bytes: number): void {
    if (bytes <= this.bits.length) return
    const next = new Uint8Array(Math.max(bytes, this.bits.length * 2))
    next.set(this.bits)
    this.bits = next
  }
}
