// Real child processes for every test tree: spawn and collect output, start the real collector, and
// read the events a CLI prints in debug mode.
import {type ChildProcess, spawn} from 'node:child_process'
import {dirname, join} from 'node:path'
import {createInterface} from 'node:readline'
import {fileURLToPath} from 'node:url'

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const COLLECTOR = join(REPO_ROOT, 'collector', 'bin', 'telemetry-collector.js')

export interface Finished {
  code: null | number
  durationMs: number
  signal: NodeJS.Signals | null
  stderr: string
  stdout: string
}

export interface SpawnOptions {
  cwd?: string
  env?: NodeJS.ProcessEnv
  gid?: number
  /** Where its stderr goes: collected (the default), or a file descriptor (/dev/full, for example). */
  stderr?: number
  /** Killed with SIGKILL after this long (code null): a hung process fails its test instead of the suite. */
  timeoutMs?: number
  uid?: number
}

export interface Started {
  child: ChildProcess
  /** Resolves when the process has exited and its output is closed. */
  done: Promise<Finished>
  /** Everything it printed so far, stdout and stderr interleaved as they came. */
  output(): string
}

/** Starts a program with its output collected; for tests that act on it while it runs. */
export function start(command: string, args: string[], options: SpawnOptions = {}): Started {
  const started = performance.now()
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', options.stderr ?? 'pipe'],
    ...(options.uid === undefined ? {} : {gid: options.gid, uid: options.uid}),
  })
  let stdout = ''
  let stderr = ''
  let output = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
    output += chunk
  })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
    output += chunk
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000)
  const done = new Promise<Finished>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({code, durationMs: performance.now() - started, signal, stderr, stdout})
    })
  })
  return {child, done, output: () => output}
}

/** Runs a program to its end and collects its output. */
export function spawnAndCollect(command: string, args: string[], options: SpawnOptions = {}): Promise<Finished> {
  return start(command, args, options).done
}

export interface Collector {
  /** Runs `telemetry-collector <args> --url <its URL>` (report, purge, rebuild), to its end. */
  cli(args: string[]): Promise<Finished>
  stop(): Promise<void>
  url: string
}

/** Starts the real collector (collector/bin) on a free port, storing into `store` (a SQLite file). */
export async function startCollector(store: string, env: NodeJS.ProcessEnv = {}): Promise<Collector> {
  // One machine sends everything here: rows of a single instance are shown, not folded into "(other)".
  const args = ['serve', '--port', '0', '--store', store, '--log-level', 'warn', '--min-instances', '1']
  const child = spawn(process.execPath, [COLLECTOR, ...args], {
    env: {...process.env, ...env},
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve())
  })
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the collector exited (${code}) before listening`)))
    createInterface({input: child.stdout!}).on('line', (line) => {
      const match = /listening on (\S+)/.exec(line)
      if (match) resolve(match[1])
    })
  })
  return {
    cli: (args) =>
      spawnAndCollect(process.execPath, [COLLECTOR, ...args, '--url', url], {env: {...process.env, ...env}}),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await exited
    },
    url,
  }
}

/** The `[telemetry] {json}` events a run printed to stderr in debug mode. */
export function debugEvents(stderr: string): Array<Record<string, any>> {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('[telemetry] {'))
    .map((line) => JSON.parse(line.slice('[telemetry] '.length)))
}
