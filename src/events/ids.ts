import {closeSync, openSync, readSync} from 'node:fs'

/**
 * A random UUID (version 4). Loading node:crypto costs about 1% of a whole command, for 16 random
 * bytes: where the kernel offers /dev/urandom they are read from it, elsewhere crypto provides them.
 */
export async function randomUuid(): Promise<string> {
  const bytes = Buffer.alloc(16)
  try {
    const fd = openSync('/dev/urandom', 'r')
    try {
      if (readSync(fd, bytes, 0, 16, null) !== 16) throw new Error('short read')
    } finally {
      closeSync(fd)
    }
  } catch {
    const {randomUUID} = await import('node:crypto')
    return randomUUID()
  }

  /* eslint-disable no-bitwise -- setting the version and variant bits of RFC 9562 */
  bytes[6] = (bytes[6] & 0x0f) | 0x40
  bytes[8] = (bytes[8] & 0x3f) | 0x80
  /* eslint-enable no-bitwise */
  const hex = bytes.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
