// A JSON snapshot of the last parse of the shared config, kept in the cache directory: while the
// file's size, mtime and inode are unchanged, commands read it instead of parsing YAML.
import {readFileSync, statSync} from 'node:fs'

import type {Paths} from '../paths.js'
import type {SharedConfigState} from './validate.js'

import {writeFileAtomic} from '../files.js'

export interface Snapshot {
  key: string
  state: SharedConfigState
}

/** The snapshot key of a stat'ed file: its size, mtime and inode. */
export function keyOf(stat: {ino: number; mtimeMs: number; size: number}): string {
  return `${stat.size}:${stat.mtimeMs}:${stat.ino}`
}

/** The snapshot key of the config file as it is now, or undefined when it cannot be stat'ed. */
export function snapshotKey(file: string): string | undefined {
  try {
    return keyOf(statSync(file))
  } catch {
    return undefined
  }
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

/** Best effort: a read-only cache only means the slow path runs again next time. */
export function saveSnapshot(paths: Paths, snapshot: Snapshot): void {
  try {
    writeFileAtomic(paths.snapshotFile, JSON.stringify(snapshot))
  } catch {
    // Ignored on purpose: see above.
  }
}
