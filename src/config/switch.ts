import {rmSync, statSync, writeFileSync} from 'node:fs'
import {dirname} from 'node:path'

import type {Settings} from '../settings.js'
import type {Paths} from './paths.js'
import type {ConfigState} from './state.js'

import {ensureDir} from '../files.js'
import {clearQueue} from '../queue/queue.js'
import {describeFsError} from './load.js'

export interface SwitchResult {
  /** Where an invalid config was copied before it was rewritten. */
  backup: null | string
  /** Why the shared config could not be written, if it could not. */
  configError: null | string
  /** Events that were waiting and are now deleted (`off` only). */
  deletedEvents: number
  /** Why the legacy opt-out file could not be created or removed, if so. */
  optOutFileError: null | string
  previous: ConfigState
}

/**
 * Records the user's decision everywhere the family's tools look: `enabled` in the shared config and
 * the legacy opt-out file that Chef's Ruby tools honour. `off` also deletes waiting events.
 */
export async function switchTelemetry(paths: Paths, settings: Settings, enabled: boolean): Promise<SwitchResult> {
  const result: SwitchResult = {
    backup: null,
    configError: null,
    deletedEvents: 0,
    optOutFileError: null,
    previous: {kind: 'missing'},
  }
  try {
    const {setEnabled} = await import('./shared-config.js')
    const change = setEnabled(paths, settings, enabled)
    result.previous = change.previous
    result.backup = change.backup ?? null
  } catch (error) {
    result.configError = `${paths.configFile}: ${describeWriteError(error)}`
  }

  try {
    if (enabled) rmSync(paths.legacyOptOutFile, {force: true})
    else if (!exists(paths.legacyOptOutFile)) {
      ensureDir(dirname(paths.legacyOptOutFile))
      writeFileSync(paths.legacyOptOutFile, '')
    }
  } catch (error) {
    result.optOutFileError = `${paths.legacyOptOutFile}: ${describeWriteError(error)}`
  }

  if (!enabled) {
    try {
      result.deletedEvents = clearQueue(paths.queueDir)
    } catch {
      // Whatever could not be deleted is never sent: the sender checks the decision first.
    }
  }

  return result
}

function exists(file: string): boolean {
  try {
    statSync(file)
    return true
  } catch {
    return false
  }
}

function describeWriteError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code
  if (code === 'EROFS') return 'the file system is read-only'
  if (code === 'ENOENT' || code === 'ENOTDIR') return 'the directory does not exist and cannot be created'
  return describeFsError(error).replace('cannot be read', 'cannot be written')
}
