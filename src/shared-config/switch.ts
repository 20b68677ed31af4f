import {rmSync, statSync, writeFileSync} from 'node:fs'
import {dirname} from 'node:path'

import type {Paths} from '../paths.js'
import type {Settings} from '../settings.js'
import type {SharedConfigState} from './validate.js'

import {describeWriteError, ensureDir} from '../files.js'

export interface SwitchResult {
  /** Where an invalid config was copied before it was rewritten. */
  backup: null | string
  /** Why the shared config could not be written, if it could not. */
  configError: null | string
  /** Why the legacy opt-out file could not be created or removed, if so. */
  optOutFileError: null | string
  previous: SharedConfigState
}

/**
 * Records the user's decision everywhere the family's tools look: `enabled` in the shared config and
 * the legacy opt-out file that Chef's Ruby tools honour.
 */
export async function switchTelemetry(paths: Paths, settings: Settings, enabled: boolean): Promise<SwitchResult> {
  const result: SwitchResult = {
    backup: null,
    configError: null,
    optOutFileError: null,
    previous: {kind: 'missing'},
  }
  try {
    const {setEnabled} = await import('./yaml-file.js')
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
      // Exclusive: a link to nothing there is not followed to create a file wherever it points.
      writeFileSync(paths.legacyOptOutFile, '', {flag: 'wx', mode: 0o600})
    }
  } catch (error) {
    result.optOutFileError = `${paths.legacyOptOutFile}: ${describeWriteError(error)}`
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
