import {readFileSync, statSync} from 'node:fs'

import type {Paths} from './paths.js'
import type {ConfigState} from './state.js'

import {writeFileAtomic} from '../files.js'

interface Snapshot {
  key: string
  state: ConfigState
}

/** Reasons a file system call failed, in words a user can act on. */
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

/**
 * Reads the shared config's state without parsing YAML on every command: a JSON snapshot of the last
 * parse, kept in the cache directory, is used while the file's size, mtime and inode are unchanged.
 */
export async function loadConfig(paths: Paths): Promise<ConfigState> {
  let key: string
  try {
    const stat = statSync(paths.configFile)
    if (stat.isDirectory()) return {kind: 'invalid', reason: describeFsError({code: 'EISDIR'})}
    key = `${stat.size}:${stat.mtimeMs}:${stat.ino}`
  } catch (error) {
    const {code} = error as NodeJS.ErrnoException
    if (code === 'ENOENT') return {kind: 'missing'}
    return {kind: 'invalid', reason: describeFsError(error)}
  }

  try {
    const snapshot = JSON.parse(readFileSync(paths.snapshotFile, 'utf8')) as Snapshot
    if (snapshot.key === key && snapshot.state?.kind) return snapshot.state
  } catch {
    // No snapshot yet, or a damaged one: parse the file below and write a new snapshot.
  }

  const {readConfigFile} = await import('./shared-config.js')
  const {readable, state} = readConfigFile(paths.configFile)
  // A file we could not read may become readable without its mtime changing (chmod): never cache that.
  if (readable) saveSnapshot(paths, {key, state})
  return state
}

/** Best effort: a read-only cache only means the slow path runs again next time. */
export function saveSnapshot(paths: Paths, snapshot: Snapshot): void {
  try {
    writeFileAtomic(paths.snapshotFile, JSON.stringify(snapshot))
  } catch {
    // Ignored on purpose: see above.
  }
}

/** The snapshot key of the config file as it is now, or undefined when it cannot be stat'ed. */
export function snapshotKey(file: string): string | undefined {
  try {
    const stat = statSync(file)
    return `${stat.size}:${stat.mtimeMs}:${stat.ino}`
  } catch {
    return undefined
  }
}
