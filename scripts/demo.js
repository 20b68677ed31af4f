#!/usr/bin/env node
// npm run demo: the whole loop on this machine, nothing to install by hand, in about ten seconds.
// A collector on a temporary SQLite file; the example CLI (test/fixtures/host-cli, which ships the
// plugin as a CLI author would) pointed at it; the first-run notice; what one event holds; a dozen
// commands; a flush; the report; `telemetry off` and `on`; `telemetry delete` and its receipt.
// It ends by itself, and removes everything it created on every path, Ctrl-C included.
import {spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {mkdirSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {createInterface} from 'node:readline'
import {fileURLToPath} from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const CLI = join(root, 'test', 'fixtures', 'host-cli', 'bin', 'run.js')
const COLLECTOR = join(root, 'collector', 'bin', 'telemetry-collector.js')
const work = mkdtempSync(join(tmpdir(), 'telemetry-demo-'))
const store = join(work, 'telemetry.db')
const cacheDir = join(work, 'cache', 'chef', 'telemetry')
// The demo collector's admin token: reports are asked of the running server, which holds them.
const adminEnv = {...process.env, COLLECTOR_ADMIN_TOKEN: randomBytes(24).toString('hex')}
let collectorUrl = ''
/** @type {import('node:child_process').ChildProcess | undefined} */
let collector
let collectorLog = ''
/** CLI runs in progress: stopped with the demo (Ctrl-C reaches them anyway; a SIGINT sent to the demo alone does not). */
const running = new Set()

/** Runs a process to its end, output captured (never `spawnSync`: Ctrl-C must reach our handler). */
function run(file, args, env = process.env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, ...args], {env, stdio: ['ignore', 'pipe', 'pipe']})
    running.add(child)
    child.on('exit', () => running.delete(child))
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      stdout += chunk
    })
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      stderr += chunk
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({code, stderr, stdout}))
  })
}

const indent = (text) => text.trimEnd().replaceAll(/^/gm, '  ')
const say = (text = '') => console.log(text)

async function startCollector() {
  // The demo's one machine would otherwise be folded into "(other)": reports hide rows of fewer
  // than 3 instances by default (--min-instances), so that nobody's rare values single them out.
  const args = ['serve', '--port', '0', '--store', store, '--log-level', 'warn', '--min-instances', '1']
  collector = spawn(process.execPath, [COLLECTOR, ...args], {
    env: adminEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  // Its logs are JSON lines for machines: kept, shown only if it fails to start.
  collector.stderr.setEncoding('utf8').on('data', (chunk) => {
    collectorLog += chunk
  })
  return new Promise((resolve, reject) => {
    collector.once('exit', (code) => reject(new Error(`the collector exited (${code}):\n${collectorLog}`)))
    createInterface({input: collector.stdout}).on('line', (line) => {
      const match = /listening on (\S+)/.exec(line)
      if (match) resolve(match[1])
    })
  })
}

async function main() {
  const url = await startCollector()
  collectorUrl = url
  say(`A collector listens on ${url}, storing into a temporary SQLite file (reports show rows of a single`)
  say('instance here: --min-instances 1; a real collector folds rows of fewer than 3 into "(other)").')
  say('The example CLI "mycli" ships the plugin; its home is a temporary folder, not yours.\n')
  mkdirSync(join(work, 'home'))
  const env = {
    ...process.env,
    CHEF_TELEMETRY_ENDPOINT: url,
    HOME: join(work, 'home'),
    XDG_CACHE_HOME: join(work, 'cache'),
    XDG_CONFIG_HOME: join(work, 'config'),
  }
  for (const name of ['DO_NOT_TRACK', 'CHEF_TELEMETRY_OPT_OUT', 'CHEF_TELEMETRY_DEBUG', 'CI']) delete env[name]

  const mycli = async (args, extraEnv = {}) => run(CLI, args, {...env, ...extraEnv})
  const show = (args, result, prefix = '') => {
    say(`$ ${prefix}mycli ${args.join(' ')}`)
    const output = result.stdout + result.stderr
    if (output.trim()) say(indent(output))
    if (result.code !== 0) say(`  (exit code ${result.code})`)
  }

  const step = async (args) => show(args, await mycli(args))

  say('1. The first run shows the notice (on stderr) and records nothing.')
  await step(['hello'])

  say('\n2. What one event holds: with CHEF_TELEMETRY_DEBUG=1 it is printed instead of sent.')
  const debugArgs = ['deploy', 'api', '--password', 'hunter2']
  const debug = await mycli(debugArgs, {CHEF_TELEMETRY_DEBUG: '1'})
  say(`$ CHEF_TELEMETRY_DEBUG=1 mycli ${debugArgs.join(' ')}`)
  say(indent(debug.stdout))
  const line = debug.stderr.split('\n').find((l) => l.startsWith('[telemetry] {'))
  if (!line) throw new Error(`no event printed:\n${debug.stderr}`)
  say(indent(JSON.stringify(JSON.parse(line.slice('[telemetry] '.length)), null, 2)))
  say(
    `  The flag's name "password" is recorded; its value appears nowhere: ${line.includes('hunter2') ? 'FAILED' : 'checked'}.`,
  )

  say('\n3. A dozen commands (run at once), a failing one, an unknown one, help, --version:')
  const commands = [
    ['deploy', 'web', '--force', '--name', 'release-1'],
    ['deploy', 'api', '--password', 'not-recorded'],
    ['deploy', 'web', '-n', 'release-2'],
    ['hello'],
    ['hello'],
    ['slow', '--ms', '50'],
    ['release', '--targets', '4'],
    ['release'],
    ['fail'],
    ['deplyo', 'web'],
    ['hello', '--help'],
    ['--version'],
  ]
  const results = await Promise.all(commands.map((args) => mycli(args)))
  for (const [i, args] of commands.entries()) show(args, results[i])
  await step(['telemetry', 'flush'])
  say('  (A background sender, started by the first commands, may have delivered them already.)')

  say('\n4. The report, most used commands first; the last column says what the demo ran to make each row:')
  await report(['--by', 'command', '--event', 'command'], (key) => COMMAND_LABELS[key] ?? '')

  say('\n5. Off, and its effect: nothing is recorded while off, whatever runs.')
  await step(['telemetry', 'off'])
  const whileOff = await mycli(['deploy', 'web'], {CHEF_TELEMETRY_DEBUG: '1'})
  show(['deploy', 'web'], whileOff, 'CHEF_TELEMETRY_DEBUG=1 ')
  say(`  No event printed: ${whileOff.stderr.includes('[telemetry] {') ? 'FAILED' : 'nothing was recorded'}.`)
  const off = JSON.parse((await mycli(['telemetry', 'status', '--json'])).stdout)
  say(`  telemetry status says: ${off.enabled ? 'on' : 'off'}, because ${off.reason}.`)
  await step(['telemetry', 'on'])
  const whileOn = await mycli(['deploy', 'web'], {CHEF_TELEMETRY_DEBUG: '1'})
  say(
    `  On again: \`mycli deploy web\` would be recorded: ${whileOn.stderr.includes('[telemetry] {') ? 'yes' : 'FAILED'}.`,
  )

  say('\n6. Delete: the collector deletes everything of this machine and gives a receipt.')
  await step(['telemetry', 'delete', '--yes'])
  await report(['--by', 'command', '--event', 'command'], () => '')
  say('  (no rows: nothing of this machine is left)')
}

// Rows of the command report whose key is not a command: what the demo ran to produce them.
const COMMAND_LABELS = {
  deploy: 'ran 3 times, flags recorded by name only',
  fail: 'failed (outcome failure, error class CLIError, exit code 3)',
  hello: '2 runs and `hello --help` (outcome help)',
  null: 'no command: `--version` (outcome version) and the unknown `deplyo web` (outcome not_found, suggestion deploy)',
  release: 'also sent its declared custom events (reported under their own event name)',
  slow: 'ran once',
}

async function report(args, label) {
  const result = await run(COLLECTOR, ['report', '--url', collectorUrl, ...args, '--json'], adminEnv)
  if (result.code !== 0) throw new Error(`report failed: ${result.stderr}`)
  const {rows} = JSON.parse(result.stdout)
  say(`$ telemetry-collector report ${args.join(' ')}`)
  say('  command    events  instances   what it is')
  for (const row of rows) {
    const key = row.key ?? '(none)'
    say(
      `  ${key.padEnd(10)} ${String(row.events).padStart(6)}  ${String(row.instances).padStart(9)}   ${label(String(row.key))}`,
    )
  }
}

/** The background sender the first recorded command may start: ended before its folder is removed. */
function stopSender() {
  try {
    const pid = Number(readFileSync(join(cacheDir, 'sender.lock'), 'utf8'))
    if (pid > 0 && pid !== process.pid) process.kill(pid, 'SIGTERM')
  } catch {
    // No sender running.
  }
}

/** SIGTERM, then SIGKILL after 5 s; resolves once the process has exited. */
function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
    child.kill('SIGTERM')
  })
}

let cleaning
function cleanUp() {
  cleaning ??= (async () => {
    stopSender()
    // Every child stopped and gone before its files are removed.
    await Promise.all([...running, collector].filter(Boolean).map((child) => stop(child)))
    rmSync(work, {force: true, recursive: true})
  })()
  return cleaning
}

for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
]) {
  process.once(signal, () => {
    say(`\nStopped (${signal}): removing the collector and the temporary folder.`)
    // eslint-disable-next-line n/no-process-exit -- the exit status of a script stopped by a signal
    cleanUp().finally(() => process.exit(code))
  })
}

try {
  await main()
  say('\nDone: the collector is stopped and the temporary folder removed.')
} catch (error) {
  console.error(`The demo failed: ${error.message}`)
  process.exitCode = 1
} finally {
  await cleanUp()
}
