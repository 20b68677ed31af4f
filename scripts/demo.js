#!/usr/bin/env node
// npm run demo: the whole loop on this machine, nothing to install by hand. A collector on a
// temporary SQLite file; the example CLI (test/fixtures/host-cli, which ships the plugin as a CLI
// author would) pointed at it; a dozen commands, a failing one, an unknown one, a custom event;
// a flush; the report. Everything it creates is removed at the end.
import {spawn, spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {createInterface} from 'node:readline'
import {fileURLToPath} from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const CLI = join(root, 'test', 'fixtures', 'host-cli', 'bin', 'run.js')
const COLLECTOR = join(root, 'collector', 'bin', 'telemetry-collector.js')
const work = mkdtempSync(join(tmpdir(), 'telemetry-demo-'))
const store = join(work, 'telemetry.db')

const collector = spawn(
  process.execPath,
  [COLLECTOR, 'serve', '--port', '0', '--store', store, '--log-level', 'warn'],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
)
const cleanUp = () => {
  collector.kill('SIGTERM')
  rmSync(work, {force: true, recursive: true})
}

process.on('exit', cleanUp)
const url = await new Promise((resolve, reject) => {
  collector.once('exit', (code) => reject(new Error(`the collector exited (${code})`)))
  createInterface({input: collector.stdout}).on('line', (line) => {
    const match = /listening on (\S+)/.exec(line)
    if (match) resolve(match[1])
  })
})
console.log(`Collector listening on ${url}, storing into a temporary SQLite file.\n`)

// A home of its own, so the demo never touches your real telemetry settings.
mkdirSync(join(work, 'home'))
const env = {
  ...process.env,
  CHEF_TELEMETRY_ENDPOINT: url,
  HOME: join(work, 'home'),
  XDG_CACHE_HOME: join(work, 'cache'),
  XDG_CONFIG_HOME: join(work, 'config'),
}
for (const name of ['DO_NOT_TRACK', 'CHEF_TELEMETRY_OPT_OUT', 'CHEF_TELEMETRY_DEBUG']) delete env[name]

function mycli(...args) {
  console.log(`$ mycli ${args.join(' ')}`)
  const result = spawnSync(process.execPath, [CLI, ...args], {encoding: 'utf8', env})
  const output = (result.stdout + result.stderr).trimEnd()
  if (output) console.log(output.replaceAll(/^/gm, '  '))
  if (result.status !== 0) console.log(`  (exit code ${result.status})`)
}

mycli('hello') // the first run: the notice, and nothing recorded
for (const args of [
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
]) {
  mycli(...args)
}

mycli('telemetry', 'flush')
mycli('telemetry', 'status')
console.log('\nThe report (most used commands):')
spawnSync(process.execPath, [COLLECTOR, 'report', '--store', store, '--by', 'command', '--event', 'command'], {
  stdio: 'inherit',
})
console.log('\nBy product and version:')
spawnSync(process.execPath, [COLLECTOR, 'report', '--store', store, '--by', 'version'], {stdio: 'inherit'})
