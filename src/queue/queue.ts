// The on-disk queue: `current.jsonl`, to which commands append one message per line, and closed
// segments (`<time>-<pid>-<n>.jsonl`) that it is rotated into once large enough. The oldest segments
// are dropped (and counted) beyond the bound, so a machine offline for months keeps 4 MiB at most.
import {
  closeSync,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs'
import {join} from 'node:path'

import {ensureDir} from '../files.js'
import {updateStats} from './stats.js'

export interface QueueLimits {
  /** Bytes of closed segments kept at most; the oldest segments are dropped first. */
  maxBytes: number
  /** `current.jsonl` is rotated into a segment once it reaches this size. */
  segmentBytes: number
}

export const DEFAULT_LIMITS: QueueLimits = {maxBytes: 4 * 1024 * 1024, segmentBytes: 256 * 1024}

export const CURRENT = 'current.jsonl'
export const SENDING = 'sending'
let rotations = 0

/**
 * Appends one line. A single write on an `O_APPEND` descriptor, so lines of concurrent commands never
 * interleave; a file left without a final newline (a crash, a corrupt file) gets one first.
 * Returns the bytes now waiting in the current file.
 *
 * A command can be held up between its open and its write for any time on a busy machine, while the
 * file it opened is rotated, or claimed, read and removed by a sender (claim.ts waits SETTLE_MS, but
 * no wait is long enough): a line written then may be in a file already read. So after the write it
 * checks that `current.jsonl` is still the file it wrote to; if not, it writes the line again to the
 * new one. At least once, never lost: a line both read and written again reaches the collector
 * twice, with one message id, and is stored once.
 */
export function appendLine(dir: string, line: string, statsFile: string, limits = DEFAULT_LIMITS): number {
  let size = 0
  for (let attempt = 0; attempt < 3; attempt++) {
    const written = appendOnce(dir, line)
    size = written.size
    if (written.stillCurrent) break
  }

  if (size >= limits.segmentBytes) {
    rotateCurrent(dir)
    enforceBound(dir, statsFile, limits)
  }

  return size
}

function appendOnce(dir: string, line: string): {size: number; stillCurrent: boolean} {
  const file = join(dir, CURRENT)
  let fd: number
  try {
    fd = openSync(file, 'a+', 0o600)
  } catch (error) {
    const {code} = error as NodeJS.ErrnoException
    if (code === 'ENOENT') ensureDir(dir)
    // A directory in its place (damage: the plugin makes none) would stop every command's append.
    else if (code === 'EISDIR') rmSync(file, {force: true, recursive: true})
    else throw error
    fd = openSync(file, 'a+', 0o600)
  }

  try {
    const opened = fstatSync(fd)
    let {size} = opened
    let text = line + '\n'
    if (size > 0) {
      const last = Buffer.alloc(1)
      readSync(fd, last, 0, 1, size - 1)
      if (last[0] !== 0x0a) text = '\n' + text
    }

    size += writeSync(fd, text)
    // Checked while the descriptor is open, so its inode number cannot have been given to another file.
    const now = lstatSync(file, {throwIfNoEntry: false})
    return {size, stillCurrent: now !== undefined && now.ino === opened.ino && now.dev === opened.dev}
  } finally {
    closeSync(fd)
  }
}

/** Closes `current.jsonl` into a segment. A command racing with this still writes into the segment. */
export function rotateCurrent(dir: string): string | undefined {
  const name = `${String(Date.now()).padStart(15, '0')}-${process.pid}-${rotations++}.jsonl`
  const current = join(dir, CURRENT)
  try {
    // A directory in its place is removed (see appendLine), not rotated into a segment no one reads.
    if (!lstatSync(current).isFile()) {
      rmSync(current, {force: true, recursive: true})
      return undefined
    }

    renameSync(current, join(dir, name))
    return name
  } catch {
    return undefined // Nothing to rotate, or another process rotated it first.
  }
}

/** Closed segments, oldest first (their names start with the time they were closed). */
export function listSegments(dir: string): string[] {
  try {
    return readdirSync(dir, {withFileTypes: true})
      .filter((entry) => entry.isFile() && entry.name !== CURRENT && entry.name.endsWith('.jsonl'))
      .map((entry) => entry.name)
      .sort()
  } catch {
    return []
  }
}

/** Drops the oldest segments beyond the bound, counting the events dropped. */
export function enforceBound(dir: string, statsFile: string, limits = DEFAULT_LIMITS): void {
  const segments = listSegments(dir).map((name) => ({file: join(dir, name), size: sizeOf(join(dir, name))}))
  let total = segments.reduce((sum, {size}) => sum + size, 0)
  let dropped = 0
  for (const {file, size} of segments) {
    if (total <= limits.maxBytes) break
    const lines = countLines(file)
    try {
      rmSync(file)
      dropped += lines
    } catch {
      // Another process dropped it first and counted it.
    }

    total -= size
  }

  if (dropped > 0) updateStats(statsFile, (stats) => ({...stats, dropped: stats.dropped + dropped}))
}

/** Counts lines, reading at most 64 MiB; beyond that (a foreign, huge file) it extrapolates. */
export function countLines(file: string): number {
  const limit = 64 * 1024 * 1024
  let fd: number
  try {
    fd = openSync(file, 'r')
  } catch {
    return 0
  }

  try {
    const stat = fstatSync(fd)
    if (!stat.isFile()) return 0
    const {size} = stat
    const buffer = Buffer.alloc(Math.min(size, 1024 * 1024))
    let lines = 0
    let read = 0
    let lastByte = 0x0a
    while (read < Math.min(size, limit)) {
      const n = readSync(fd, buffer, 0, buffer.length, read)
      if (n === 0) break
      for (let i = 0; i < n; i++) if (buffer[i] === 0x0a) lines++
      lastByte = buffer[n - 1]
      read += n
    }

    if (read < size) return Math.round((lines * size) / read)
    return lastByte === 0x0a ? lines : lines + 1
  } finally {
    closeSync(fd)
  }
}

/** Events waiting: lines in the current file, the segments and any batch being sent. */
export function countPending(dir: string): number {
  let total = 0
  for (const name of [CURRENT, ...listSegments(dir)]) total += countLines(join(dir, name))
  for (const name of listSegments(join(dir, SENDING))) total += countLines(join(dir, SENDING, name))
  return total
}

/** Deletes every waiting event (telemetry turned off, or the instance deleted). */
export function clearQueue(dir: string): number {
  const pending = countPending(dir)
  for (const name of [CURRENT, ...listSegments(dir), SENDING]) {
    rmSync(join(dir, name), {force: true, recursive: true})
  }

  return pending
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size
  } catch {
    return 0
  }
}
