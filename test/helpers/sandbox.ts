import {
  chownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

/** A throwaway home for one test: its own HOME and XDG directories, so nothing touches the real ones. */
export interface Sandbox {
  cacheDir: string
  configDir: string
  configFile: string
  env: NodeJS.ProcessEnv
  home: string
  queueDir: string
  root: string
}

const sandboxes: string[] = []

/**
 * Variables a developer's, an agent's or CI's shell may carry that would change what the plugin
 * decides or records: the opt-outs, the coding agents' markers (src/events/agent.ts) and the CI
 * run's ids (src/runtime/ci-run.ts). `CI=false` below tells ci-info that no CI runs, whatever else
 * the CI service set; tests of CI set their own variables.
 */
const SCRUBBED =
  /^(DO_NOT_TRACK|CHEF_.*|XDG_.*|DEBUG|OCLIF_.*|MYCLI_.*|AI_AGENT|CLAUDECODE|CURSOR_.*|COPILOT_.*|CODEX_.*|GEMINI_CLI|CLINE_.*|CODEIUM_.*|OPENCODE_.*|AUGMENT_.*|TERM_PROGRAM|PAGER|GIT_PAGER|CI|GITHUB_.*|CI_.*|BUILD_.*|BUILDKITE_.*|CIRCLE_.*|TRAVIS_.*|SYSTEM_.*|CODEBUILD_.*|BITBUCKET_.*)$/

/**
 * `backgroundSender: false` (the default) records a sender attempt just made, so that, as on a machine
 * where one ran a moment ago, no background sender starts during the test and moves the queue.
 */
export function makeSandbox({backgroundSender = false} = {}): Sandbox {
  const root = mkdtempSync(join(tmpdir(), 'telemetry-test-'))
  sandboxes.push(root)
  const home = join(root, 'home')
  mkdirSync(home)
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) if (!SCRUBBED.test(key)) env[key] = value
  Object.assign(env, {
    CI: 'false',
    HOME: home,
    XDG_CACHE_HOME: join(root, 'cache'),
    XDG_CONFIG_HOME: join(root, 'config'),
  })
  const cacheDir = join(root, 'cache', 'chef', 'telemetry')
  const configDir = join(root, 'config', 'chef')
  if (!backgroundSender) {
    mkdirSync(cacheDir, {recursive: true})
    writeFileSync(
      join(cacheDir, 'schedule.json'),
      JSON.stringify({lastAttempt: new Date(Date.now() + 3_600_000).toISOString()}),
    )
  }

  return {
    cacheDir,
    configDir,
    configFile: join(configDir, 'telemetry.yml'),
    env,
    home,
    queueDir: join(cacheDir, 'queue'),
    root,
  }
}

export function cleanSandboxes(): void {
  for (const root of sandboxes.splice(0)) rmSync(root, {force: true, recursive: true})
}

/** Every file below a directory, recursively (for "this string appears in no file" checks). */
export function allFiles(dir: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir, {withFileTypes: true})) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...allFiles(path))
    else if (entry.isFile()) out.push(path)
  }

  return out
}

const jsonl = (dir: string) => {
  try {
    return readdirSync(dir).filter((n) => n.endsWith('.jsonl'))
  } catch {
    return []
  }
}

/** Every message waiting in a sandbox's queue (being sent, closed segments, current file), oldest first. */
export function queuedMessages(sandbox: Sandbox): Array<Record<string, any>> {
  const names = jsonl(sandbox.queueDir)
  const ordered = [
    ...jsonl(join(sandbox.queueDir, 'sending')).map((n) => join('sending', n)),
    ...names.filter((n) => n !== 'current.jsonl').sort(),
    ...names.filter((n) => n === 'current.jsonl'),
  ]
  return ordered.flatMap((name) =>
    readFileSync(join(sandbox.queueDir, name), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line)),
  )
}

export const isRoot = process.getuid?.() === 0
export const NOBODY = 65_534

/** Gives a tree to `nobody`, so that a child run as nobody meets real permission errors even when tests run as root. */
export function giveToNobody(dir: string): void {
  chownSync(dir, NOBODY, NOBODY)
  for (const entry of readdirSync(dir, {withFileTypes: true})) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) giveToNobody(path)
    else chownSync(path, NOBODY, NOBODY)
  }
}

export function modeOf(file: string): number {
  return statSync(file).mode % 0o1000
}

/** The background senders running for this sandbox: processes of sender/main.js working in its cache directory. */
export function senderPids(sandbox: Sandbox): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
        return /[/\\]sender[/\\]main\.js$/.test(argv[1] ?? '') && readlinkSync(`/proc/${pid}/cwd`) === sandbox.cacheDir
      } catch {
        return false // gone meanwhile
      }
    })
    .map(Number)
}
