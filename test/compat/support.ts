// Helpers of the compatibility tests: fixture hosts with their own dependencies, installed on demand.
import {createHash} from 'node:crypto'
import {existsSync, lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {dirname, join, relative} from 'node:path'

import type {Sandbox} from '../helpers/sandbox.js'

import {REPO_ROOT, spawnAndCollect} from '../helpers/process.js'

export const FIXTURES = join(REPO_ROOT, 'test', 'fixtures')

/**
 * The environment for npm run from a test: the caller's, without the variables `npm run` sets for
 * the repository's own package (they would point npm at the root project or its workspaces), and
 * with npm's cache kept where it is even when HOME is a sandbox.
 */
export function npmEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_cache', 'npm_config_globalconfig', 'npm_config_registry', 'npm_config_userconfig'])
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(base)) {
    if (/^npm_/i.test(key) && !keep.has(key.toLowerCase())) continue
    env[key] = value
  }

  env.npm_config_cache ??= process.env.npm_config_cache ?? join(homedir(), '.npm')
  env.npm_config_update_notifier = 'false'
  env.npm_config_fund = 'false'
  env.npm_config_audit = 'false'
  return env
}

/**
 * Installs a fixture's own dependencies from its package-lock.json with `npm ci`, unless the same
 * lock is already installed, then (with `linkPluginInto`) links the plugin into that directory as
 * `node_modules/oclif-plugin-telemetry`, a symlink to the repository root as test/fixtures/host-cli has.
 * The root install is not involved: a fixture must not hoist @oclif/core 5, or a `node` binary that
 * npm scripts would then run, into the repository's node_modules.
 */
export async function installFixture(name: string, {linkPluginInto}: {linkPluginInto?: string} = {}): Promise<string> {
  const dir = join(FIXTURES, name)
  const lock = readFileSync(join(dir, 'package-lock.json'))
  const hash = createHash('sha256')
    .update(lock)
    .update(readFileSync(join(dir, 'package.json')))
    .digest('hex')
  const marker = join(dir, 'node_modules', '.compat-installed')
  const link = join(linkPluginInto ?? dir, 'node_modules', 'oclif-plugin-telemetry')
  if (!existsSync(marker) || readFileSync(marker, 'utf8') !== hash) {
    // npm ci empties node_modules; take the link out first so nothing can follow it into the repository.
    removeLink(link)
    const started = performance.now()
    const install = await spawnAndCollect('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: dir,
      env: npmEnv(),
      timeoutMs: 240_000,
    })
    if (install.code !== 0)
      throw new Error(
        `npm ci in test/fixtures/${name} failed (exit ${install.code}); it needs the npm registry:\n${install.stderr}${install.stdout}`,
      )
    writeFileSync(marker, hash)
    process.stderr.write(`# test/fixtures/${name}: npm ci took ${Math.round((performance.now() - started) / 1000)} s\n`)
  }

  removeLink(link)
  if (linkPluginInto) {
    mkdirSync(dirname(link), {recursive: true})
    symlinkSync(relative(dirname(link), REPO_ROOT), link, 'dir')
  }

  return dir
}

function removeLink(path: string): void {
  try {
    if (lstatSync(path).isSymbolicLink()) rmSync(path)
  } catch {
    // absent
  }
}

/** A sandbox's environment plus XDG_DATA_HOME (where plugin-plugins keeps the links it makes). */
export function hostEnv(sandbox: Sandbox, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {...sandbox.env, XDG_DATA_HOME: join(sandbox.root, 'data'), ...extra}
}

export function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex')
}
