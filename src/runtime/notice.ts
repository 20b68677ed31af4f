import type {Settings} from '../settings.js'

/** The first-run notice: what is collected, how to opt out with this very tool, the privacy policy. */
export function noticeText(settings: Settings): string {
  const {bin} = settings.cli
  const lines = [
    '',
    `${bin} and the other ${settings.namespace} tools collect anonymous usage data to learn which commands`,
    'are used and how well they work: the command, the names of the flags given (never their values),',
    'its duration and outcome, and the tool, OS and Node.js versions. No arguments, paths, names or',
    'messages are collected. Nothing was collected for this command.',
    '',
    `To opt out for every ${settings.namespace} tool: ${bin} telemetry off  (or set DO_NOT_TRACK=1)`,
    `See what is decided: ${bin} telemetry status`,
  ]
  if (settings.privacyUrl) lines.push(`Privacy policy: ${settings.privacyUrl}`)
  lines.push('')
  return lines.join('\n') + '\n'
}
