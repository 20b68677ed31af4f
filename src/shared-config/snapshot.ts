// A JSON snapshot of the last parse of the shared config, kept in the cache directory: while the
// file's size, mtime, ctime and inode are unchanged, commands read it instead of parsing YAML. This is the
// reading side, on every command's path; yaml-file.ts writes snapshots when it parses the file.
import {readFileSync} from 'node:fs'

import type {Paths} from '../paths.js'
import type {SharedConfigState} from './validate.js'

export interface Snapshot {
  key: string
  state: SharedConfigState
}

/**
 * The snapshot key of a stat'ed file: its size, mtime, ctime and inode. The ctime changes with its
 * permissions too: a file made unreadable is read again (and found unusable), not taken as before.
 */
export function keyOf(stat: {ctimeMs: number; ino: number; mtimeMs: number; size: number}): string {
  return `${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}:${stat.ino}`
}

/** The state snapshotted under `key`, if the snapshot is of the file as it is now. */
export function readSnapshot(paths: Paths, key: string): SharedConfigState | undefined {
  try {
    const snapshot = JSON.parse(readFileSync(paths.snapshotFile, 'utf8')) as Snapshot
    if (snapshot.key === key && snapshot.state?.kind) return snapshot.state
  } catch {
    // No snapshot yet, or a damaged one: the caller parses the file.
  }

  return undefined
}
