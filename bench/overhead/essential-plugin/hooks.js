// The benchmark's reference for issue 12's budgets: what no implementation of the plugin can skip,
// hand-written in one small file with no structure, no error reporting and nothing configurable (not
// for use). The init hook applies the decision's file and variable checks (docs/decision.md) and reads
// the config snapshot the real plugin wrote; the finally hook summarises the flags, continues the
// session, appends one message to the queue and reads the sender's schedule.
import {
  appendFileSync,
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import {arch, homedir, platform, release} from 'node:os'
import {dirname, join} from 'node:path'

let run

export async function init({config, id}) {
  try {
    if (id === 'telemetry' || id?.startsWith('telemetry:')) return
    const {env} = process
    if (env.DO_NOT_TRACK || env.CHEF_TELEMETRY_OPT_OUT) return
    if (existsSync(join(homedir(), '.chef', 'telemetry_opt_out'))) return
    for (let dir = process.cwd(), parent; dir !== parent; dir = dirname(dir)) {
      if (existsSync(join(dir, '.chef', 'telemetry_opt_out'))) return
      parent = dir
    }

    const settings = config.pjson.oclif.telemetry
    if (!settings?.endpoint) return
    const cache = join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'chef', 'telemetry')
    const file = statSync(join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'chef', 'telemetry.yml'))
    const snapshot = JSON.parse(readFileSync(join(cache, 'config-snapshot.json'), 'utf8'))
    if (snapshot.key !== `${file.size}:${file.mtimeMs}:${file.ctimeMs}:${file.ino}` || !snapshot.state.enabled) return
    run = {cache, instanceId: snapshot.state.instanceId, startedAt: performance.now()}
  } catch {}
}

function uuid() {
  const bytes = Buffer.alloc(16)
  const fd = openSync('/dev/urandom', 'r')
  readSync(fd, bytes, 0, 16, null)
  closeSync(fd)
  /* eslint-disable no-bitwise -- the version and variant bits of RFC 9562 */
  bytes[6] = (bytes[6] & 0x0f) | 0x40
  bytes[8] = (bytes[8] & 0x3f) | 0x80
  /* eslint-enable no-bitwise */
  const hex = bytes.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

export async function finish({argv, Command, config, error, id}) {
  try {
    if (!run) return
    const defined = Command?.flags ?? {}
    const flags = argv.filter((a) => a.startsWith('-')).map((a) => a.replace(/^--?/, '').split('=')[0])
    const sessionFile = join(run.cache, 'session')
    let sessionId
    try {
      if (Date.now() - statSync(sessionFile).mtimeMs < 600_000) {
        sessionId = readFileSync(sessionFile, 'utf8').trim()
        utimesSync(sessionFile, new Date(), new Date())
      }
    } catch {}

    if (!sessionId) writeFileSync(sessionFile, (sessionId = uuid()))
    const message = {
      event: 'command',
      instance_id: run.instanceId,
      message_id: uuid(),
      payload: {
        arch: arch(),
        cli: config.name,
        cli_version: config.version,
        command: id,
        duration_ms: Math.round(performance.now() - run.startedAt),
        error: error?.constructor.name ?? null,
        exit_code: process.exitCode ?? 0,
        flags: flags.filter((name) => name in defined).sort(),
        node: process.versions.node,
        os: platform(),
        os_release: release(),
        outcome: error ? 'failure' : 'success',
        tty: Boolean(process.stdout.isTTY),
      },
      session_id: sessionId,
      timestamp: new Date().toISOString(),
    }
    appendFileSync(join(run.cache, 'queue', 'current.jsonl'), JSON.stringify(message) + '\n')
    const schedule = JSON.parse(readFileSync(join(run.cache, 'schedule.json'), 'utf8'))
    if (Date.now() - Date.parse(schedule.lastAttempt) > 60_000) run.startSender = true
  } catch {}
}
