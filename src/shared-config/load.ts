import {statSync} from 'node:fs'

import type {Paths} from '../paths.js'
import type {SharedConfigState} from './validate.js'

import {keyOf, readSnapshot} from './snapshot.js'

/**
 * What the shared config says, without parsing YAML on every command: the snapshot of the last parse
 * is used while the file is unchanged. yaml-file.ts (and `yaml`) is loaded only when it changed, or
 * when the file cannot be used (it says why).
 */
export async function loadSharedConfig(paths: Paths): Promise<SharedConfigState> {
  let key: string | undefined
  try {
    const stat = statSync(paths.configFile)
    if (!stat.isDirectory()) key = keyOf(stat)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {kind: 'missing'}
  }

  const snapshotted = key === undefined ? undefined : readSnapshot(paths, key)
  if (snapshotted) return snapshotted
  const {readAndSnapshot} = await import('./yaml-file.js')
  return readAndSnapshot(paths, key)
}
