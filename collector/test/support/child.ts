import {type ChildProcess, spawn} from 'node:child_process'
import {fileURLToPath} from 'node:url'

export const collectorDir = fileURLToPath(new URL('../..', import.meta.url))
const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url))

export interface CollectorProcess {
  child: ChildProcess
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>
  stderr(): string
  stdout(): string
  url: string
}

/** Run the CLI from source (node --import tsx src/cli.ts ...) and collect its output. */
export function runCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{code: null | number; stderr: string; stdout: string}> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], {
      cwd: collectorDir,
      env: {...process.env, ...env},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c) => {
      stdout += c
    })
    child.stderr.on('data', (c) => {
      stderr += c
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({code, stderr, stdout}))
  })
}

/** Start `serve --port 0` in a child process; resolves once it prints its URL. */
export function startCollector(
  args: string[],
  env: Record<string, string> = {},
  /** Run as another user (tests run as root here): uid and gid. */
  user: {gid?: number; uid?: number} = {},
): Promise<CollectorProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', cli, 'serve', '--port', '0', '--host', '127.0.0.1', ...args],
    {
      cwd: collectorDir,
      env: {...process.env, ...env},
      stdio: ['ignore', 'pipe', 'pipe'],
      ...user,
    },
  )
  let out = ''
  let err = ''
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1))
  })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`collector did not start in 30 s:\n${out}\n${err}`))
    }, 30_000)
    child.stderr!.on('data', (c) => {
      err += c
    })
    child.stdout!.on('data', (c) => {
      out += c
      const match = /^listening on (http:\/\/\S+)$/m.exec(out)
      if (match) {
        clearTimeout(timer)
        resolve({child, exited, stderr: () => err, stdout: () => out, url: match[1]})
      }
    })
    exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`collector exited (${code}) before listening:\n${out}\n${err}`))
    })
  })
}
