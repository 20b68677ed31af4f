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
