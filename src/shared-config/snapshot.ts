// A JSON snapshot of the last parse of the shared config, kept in the cache directory: while the
// file's size, mtime and inode are unchanged, commands read it instead of parsing YAML. This is the
// reading side, on every command's path; yaml-file.ts writes snapshots when it parses the file.
import {readFileSync} from 'node:fs'

import type {Paths} from '../paths.js'
import type {SharedConfigState} from './validate.js'

export interface Snapshot {
  key: string
  state: SharedConfigState
}

/** The snapshot key of a stat'ed file: its size, mtime and inode. */
export function keyOf(stat: {ino: number; mtimeMs: number; size: number}): string {
  return `${stat.size}:${stat.mtimeMs}:${stat.ino}`
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
