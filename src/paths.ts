import envPaths from 'env-paths'
import {homedir} from 'node:os'
import {isAbsolute, join, resolve} from 'node:path'

import {legacyOptOutFile} from './opt-out-files.js'

/** Every file the plugin reads or writes, for one namespace. */
export interface Paths {
  cacheDir: string
  /** The id of the CI job's run, where CI runs with no shared config (runtime/ci-run.ts). */
  ciRunFile: string
  configDir: string
  configFile: string
  /** Deletion requests not yet acknowledged by the collector, and the instance ids they retired. */
  deletionsFile: string
  /** Chef's Ruby tools honour this file too: `off` creates it, `on` removes it. */
  legacyOptOutFile: string
  /** Held by the one sender that may run for this queue. */
  lockFile: string
  queueDir: string
  /** When the sender runs next (backoff, last attempt): sender/schedule.ts. */
  scheduleFile: string
  /** What the background sender is to do (paths, settings): handed over in a file, not on its command line. */
  senderJobFile: string
  /** What the background sender did, last lines only (it has no terminal). */
  senderLog: string
  /**
   * Held by the one background sender process for its whole life, waits between retries included
   * (lockFile is held only while sending, so that `flush` need not wait): no second one starts beside it.
   */
  senderPidFile: string
  sessionFile: string
  snapshotFile: string
  statsFile: string
}

/** The sender's job file, found by the sender in its working directory (the cache directory). */
export const SENDER_JOB = 'sender-job.json'

/**
 * `<PREFIX>_TELEMETRY_CONFIG_DIR` and `<PREFIX>_TELEMETRY_CACHE_DIR` move the config and the cache
 * (tests and sandboxed users); otherwise env-paths gives each OS's usual places.
 */
export function telemetryPaths(namespace: string, envPrefix: string, env: NodeJS.ProcessEnv = process.env): Paths {
  const dirs = envPaths(namespace, {suffix: ''})
  // Made absolute: the background sender works from the cache directory, not from the command's.
  const fromEnv = (name: string) => (env[name] ? resolve(env[name]) : undefined)
  // A relative place (an empty HOME, a relative XDG_* variable) would be a new one in every working
  // directory: XDG's spec says to ignore relative variables, and without an absolute home there is none.
  const absolute = (dir: string, underHome: string): string => {
    if (isAbsolute(dir)) return dir
    const home = homedir()
    if (isAbsolute(home) && process.platform !== 'darwin' && process.platform !== 'win32') {
      return join(home, underHome, namespace)
    }

    // Windows places them under APPDATA and LOCALAPPDATA (else the home), the others under the home.
    const [unset, set] =
      process.platform === 'win32'
        ? ['APPDATA, LOCALAPPDATA and the home folder are', 'set APPDATA and LOCALAPPDATA']
        : ['HOME is', 'set HOME']
    throw new Error(
      `there is no home directory to keep telemetry settings in (${unset} empty or relative): ${set}, or ${envPrefix}_TELEMETRY_CONFIG_DIR and ${envPrefix}_TELEMETRY_CACHE_DIR`,
    )
  }

  const configDir = fromEnv(`${envPrefix}_TELEMETRY_CONFIG_DIR`) ?? absolute(dirs.config, '.config')
  const cacheDir = fromEnv(`${envPrefix}_TELEMETRY_CACHE_DIR`) ?? join(absolute(dirs.cache, '.cache'), 'telemetry')
  return {
    cacheDir,
    ciRunFile: join(cacheDir, 'ci-run.json'),
    configDir,
    configFile: join(configDir, 'telemetry.yml'),
    deletionsFile: join(cacheDir, 'deletions.json'),
    legacyOptOutFile: legacyOptOutFile(namespace),
    lockFile: join(cacheDir, 'sender.lock'),
    queueDir: join(cacheDir, 'queue'),
    scheduleFile: join(cacheDir, 'schedule.json'),
    senderJobFile: join(cacheDir, SENDER_JOB),
    senderLog: join(cacheDir, 'sender.log'),
    senderPidFile: join(cacheDir, 'sender.pid'),
    sessionFile: join(cacheDir, 'session'),
    snapshotFile: join(cacheDir, 'config-snapshot.json'),
    statsFile: join(cacheDir, 'stats.json'),
  }
}
