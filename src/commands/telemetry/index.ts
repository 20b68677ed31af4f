import Status from './status.js'

/** `<tool> telemetry` alone: the status, which is what someone typing it wants to know. */
export default class Telemetry extends Status {
  static override description = 'Show whether anonymous usage data is collected, and why (as "telemetry status").'
  static override examples = ['<%= config.bin %> telemetry', '<%= config.bin %> telemetry --json']
  // Not listed as a command of its own: the host CLI's command list stays as it was, and
  // `telemetry --help` still lists the topic's commands.
  static override hidden = true
}
