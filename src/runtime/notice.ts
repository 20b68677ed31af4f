import type {Settings} from '../settings.js'

/** The first-run notice: what is collected, how to opt out with this very tool, the privacy policy. */
export function noticeText(settings: Settings): string {
  const {bin} = settings.cli
  const lines = [
    '',
    `${bin} and the other ${settings.namespace} tools collect anonymous usage data to learn which commands`,
    'are used and how well they work. Each command sends: the command, the names of the flags given',
    '(never their values), the number of arguments, its duration and outcome (error class or exit code),',
    'the tool and its version, the OS, its release and the CPU architecture, the Node.js version, the CI',
    'service and the coding agent that ran the command (by name) if any, whether the output is a terminal,',
    'a timestamp, a random id made for this machine and a random session id. No argument or flag values,',
    'paths, user or host names, environment values or messages are collected. The collector sees your',
    'IP address, as every server does, and neither stores nor logs it. Nothing was collected for this',
    'command.',
    '',
    `To opt out for every ${settings.namespace} tool: ${bin} telemetry off  (or set DO_NOT_TRACK=1)`,
    `See what is decided: ${bin} telemetry status`,
  ]
  if (settings.privacyUrl) lines.push(`Privacy policy: ${settings.privacyUrl}`)
  lines.push('')
  return lines.join('\n') + '\n'
}
