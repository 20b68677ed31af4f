// Checked before anything else is imported: an opted-out user pays for nothing more than this.

/** `DO_NOT_TRACK` counts unless it is empty, `0` or `false` (https://consoledonottrack.com). */
export function doNotTrack(env: NodeJS.ProcessEnv): boolean {
  const value = env.DO_NOT_TRACK?.trim().toLowerCase()
  return value !== undefined && value !== '' && value !== '0' && value !== 'false'
}

/** `<PREFIX>_TELEMETRY_OPT_OUT` opts out with any non-empty value. */
export function optOutVariable(envPrefix: string): string {
  return `${envPrefix}_TELEMETRY_OPT_OUT`
}

/** The environment rule that turns telemetry off, if any (rules 1 and 2 of docs/decision.md). */
export function environmentOptOut(env: NodeJS.ProcessEnv, envPrefix: string): string | undefined {
  if (doNotTrack(env)) return 'DO_NOT_TRACK'
  const name = optOutVariable(envPrefix)
  if (env[name]) return name
  return undefined
}

/** `<PREFIX>_TELEMETRY_DEBUG=1`: print events to stderr instead of queueing them. */
export function debugMode(env: NodeJS.ProcessEnv, envPrefix: string): boolean {
  const value = env[`${envPrefix}_TELEMETRY_DEBUG`]?.trim().toLowerCase()
  return value !== undefined && value !== '' && value !== '0' && value !== 'false'
}
