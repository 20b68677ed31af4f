import {statSync} from 'node:fs'

import type {Paths} from '../paths.js'
import type {SharedConfigState} from './validate.js'

import {describeFsError} from '../files.js'
import {keyOf, readSnapshot, saveSnapshot} from './snapshot.js'

/**
 * What the shared config says, without parsing YAML on every command: the snapshot of the last parse
 * is used while the file is unchanged; yaml-file.ts (and `yaml`) is loaded only when it changed.
 */
export async function loadSharedConfig(paths: Paths): Promise<SharedConfigState> {
  let key: string
  try {
    const stat = statSync(paths.configFile)
    if (stat.isDirectory()) return {kind: 'invalid', reason: describeFsError({code: 'EISDIR'})}
    key = keyOf(stat)
  } catch (error) {
    const {code} = error as NodeJS.ErrnoException
    if (code === 'ENOENT') return {kind: 'missing'}
    return {kind: 'invalid', reason: describeFsError(error)}
  }

  const snapshotted = readSnapshot(paths, key)
  if (snapshotted) return snapshotted
  const {readSharedConfigFile} = await import('./yaml-file.js')
  const {readable, state} = readSharedConfigFile(paths.configFile)
  // A file we could not read may become readable without its mtime changing (chmod): never cache that.
  if (readable) saveSnapshot(paths, {key, state})
  return state
}
