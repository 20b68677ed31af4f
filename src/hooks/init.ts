import type {Hook} from '@oclif/core'

import type {Paths} from '../paths.js'
import type {Settings} from '../settings.js'

import {decide, maySend} from '../decision.js'
import {nodeSupported} from '../node-support.js'
import {telemetryPaths} from '../paths.js'
import {isTelemetryCommand, recordThisRun} from '../runtime/run-state.js'
import {writeStderr} from '../runtime/stderr.js'
import {familyOf, readSettings} from '../settings.js'
import {loadSharedConfig} from '../shared-config/load.js'
import {debugMode} from '../variables.js'

/**
 * Decides once whether this command is recorded (docs/decision.md) and hands the decision to the
 * finally hook; shows the first-run notice. Never throws, never prints to stdout, but for a
 * `telemetry` command on a Node.js the plugin does not run on.
 */
const hook: Hook.Init = async function ({config, id}) {
  // On such a Node.js the hooks do nothing (no run is recorded, so the finally hook finds none), and a
  // `telemetry` command stops here with one line and exit code 1 instead of failing on a missing
  // builtin with a stack trace: oclif lets a hook's exit with a code end the command. The line is
  // written here, as this.error() would wrap it at 80 columns.
  if (!nodeSupported()) {
    if (!isTelemetryCommand(id)) return
    const {unsupportedNodeMessage} = await import('../unsupported-node.js')
    writeStderr(unsupportedNodeMessage() + '\n')
    this.exit(1)
  }

  try {
    if (isTelemetryCommand(id)) return
    const startedAt = performance.now()
    const {env} = process
    const family = familyOf(config)
    let settings: Settings | undefined
    let paths: Paths | undefined
    const decision = await decide({
      cwd: process.cwd(),
      env,
      family,
      paths() {
        paths ??= telemetryPaths(family.namespace, family.envPrefix, env)
        return paths
      },
      settings() {
        settings ??= readSettings(config, env)
        return settings
      },
    })
    const debug = debugMode(env, family.envPrefix)
    // Rules 1 to 4 decided before settings and paths were needed: nothing more to do, but in debug
    // mode the one line that says which rule won over debug (else it prints nothing at all).
    if (!settings || !paths) {
      if (debug) writeStderr(`[telemetry] off (rule ${decision.rule}): ${decision.reason}; nothing is recorded\n`)
      return
    }

    const log = (line: string) => writeStderr(line + '\n')
    let instanceId = maySend(decision) ? decision.sharedConfig.instanceId : undefined
    if (decision.rule === 'first-run') {
      const {firstRun} = await import('../runtime/first-run.js')
      instanceId = firstRun({debug, paths, settings, write: writeStderr})
      // Snapshots the new file now (yaml is loaded already), so the next command reads JSON only.
      await loadSharedConfig(paths)
    } else if (decision.rule === 'ci') {
      const {ciNoticeLine, ciRun} = await import('../runtime/ci-run.js')
      const run = await ciRun(paths.ciRunFile, env)
      if (run?.started) writeStderr(ciNoticeLine(settings.cli.bin, decision.ciVendor ?? 'unknown', settings.privacyUrl))
      if (debug)
        log(
          `[telemetry] on: ${decision.reason}; ${run ? `run ${run.id}${run.started ? ', started by this command, which is not recorded' : ''}` : 'the cache cannot be written, nothing is recorded'}`,
        )
      instanceId = run && !run.started ? run.id : undefined
    } else if (debug) {
      const {enabled, reason, rule, sharedConfig: state} = decision
      log(
        `[telemetry] ${enabled ? 'on' : 'off'} (rule ${rule}): ${reason}; ${state.kind === 'ok' ? `instance ${state.instanceId}` : `config ${state.kind}`}`,
      )
    }

    if (instanceId) recordThisRun(config, {debug, decision, instanceId, paths, settings, startedAt, write: writeStderr})
  } catch (error) {
    this.debug(error)
  }
}

export default hook
