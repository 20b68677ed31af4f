import {mkdirSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {dirname} from 'node:path'

/**
 * `mkdir -p`, one level at a time. Node's own recursive mkdir spins forever where a parent reports
 * ENOENT although it exists (under /proc, for a HOME set there): this gives up instead.
 */
export function ensureDir(dir: string, mode = 0o700, depth = 0): void {
  try {
    mkdirSync(dir, {mode})
  } catch (error) {
    const {code} = error as NodeJS.ErrnoException
    if (code === 'EEXIST') return
    const parent = dirname(dir)
    if (code !== 'ENOENT' || parent === dir || depth > 64) throw error
    ensureDir(parent, mode, depth + 1)
    mkdirSync(dir, {mode})
  }
}

/** Replaces a file in one step: readers see the old content or the new, never half of either. */
export function writeFileAtomic(file: string, data: string, mode = 0o600): void {
  ensureDir(dirname(file))
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`
  try {
    writeFileSync(tmp, data, {mode})
    renameSync(tmp, file)
  } catch (error) {
    rmSync(tmp, {force: true})
    throw error
  }
}

/**
 * Read-modify-write of a small JSON file, replaced atomically. A cache: when it cannot be written the
 * change is skipped (the caller gets it anyway), never the command.
 */
export function updateJsonFile<T>(file: string, read: (file: string) => T, change: (value: T) => T): T {
  const next = change(read(file))
  try {
    writeFileAtomic(file, JSON.stringify(next))
  } catch {
    // Unwritable: the next command asks again, or a counter is lost.
  }

  return next
}

/** A count read back from a state file, or 0 for anything else (a damaged file is ignored). */
export const countOf = (value: unknown): number =>
  Number.isSafeInteger(value) && (value as number) >= 0 ? (value as number) : 0

/** A time (ISO 8601) read back from a state file, or undefined for anything else. */
export const timeOf = (value: unknown): string | undefined =>
  typeof value === 'string' && Number.isFinite(Date.parse(value)) ? value : undefined

/** Why a file system call failed, in words a user can act on. */
export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code
  switch (code) {
    case 'EACCES':
    case 'EPERM': {
      return 'permission denied'
    }

    case 'EISDIR': {
      return 'it is a directory, not a file'
    }

    case 'ENOTDIR': {
      return 'a directory above it is a file'
    }

    default: {
      return code ? `cannot be read (${code})` : 'cannot be read'
    }
  }
}

/** Why a file could not be written, in words a user can act on. */
export function describeWriteError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code
  // Refused on purpose (shared-config/yaml-file.ts): its message says why and what to do.
  if (code === 'EUNSAFELINK') return (error as Error).message
  if (code === 'EROFS') return 'the file system is read-only'
  if (code === 'ENOENT' || code === 'ENOTDIR') return 'the directory does not exist and cannot be created'
  return describeFsError(error).replace('cannot be read', 'cannot be written')
}
