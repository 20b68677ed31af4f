// Imported by the init hook only when the decision is `first-run` (docs/decision.md, rule 7).
import type {Paths} from '../paths.js'
import type {Settings} from '../settings.js'
import type {SharedConfigState} from '../shared-config/validate.js'

import {createSharedConfig} from '../shared-config/yaml-file.js'
import {noticeText} from './notice.js'

export interface FirstRunOptions {
  debug: boolean
  paths: Paths
  settings: Settings
  /** Writes to stderr, failing quietly (runtime/stderr.ts). */
  write: (text: string) => void
}

/**
 * Creates the shared config and shows the notice. That first command is never recorded: nobody is
 * counted before they could say no. Returns the instance id to record this command under when
 * another process created the config a moment ago (and showed the notice), if that file says on.
 */
export function firstRun({debug, paths, settings, write}: FirstRunOptions): string | undefined {
  const log = (line: string) => write(`${line}\n`)
  const {created, state} = createSharedConfig(paths, settings)
  if (created) {
    write(noticeText(settings))
    if (debug)
      log(`[telemetry] first run: config created, ${describeSharedConfig(state)}; this command is not recorded`)
    return undefined
  }

  if (debug) log(`[telemetry] config created by another process, ${describeSharedConfig(state)}`)
  return state.kind === 'ok' && state.enabled ? state.instanceId : undefined
}

/** For debug lines: the instance id, or what is wrong with the config. */
export function describeSharedConfig(state: SharedConfigState): string {
  return state.kind === 'ok' ? `instance ${state.instanceId}` : `config ${state.kind}`
}
