// Host CLIs as their authors have them: a copy of a fixture with the plugin installed from its packed
// tarball (what npm publishes, not this checkout), then compiled with TypeScript.
import {cpSync, existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {REPO_ROOT, spawnAndCollect} from '../helpers/process.js'
import {FIXTURES, npmEnv} from './support.js'

/** A folder for one test file's packs and hosts, and its removal. */
export function workFolder(): {dir: string; remove(): void} {
  const dir = mkdtempSync(join(tmpdir(), 'telemetry-compat-'))
  return {dir, remove: () => rmSync(dir, {force: true, recursive: true})}
}

/** `npm pack` of the built repository into `into`; returns the tarball's path. */
export async function packPlugin(into: string): Promise<string> {
  if (!existsSync(join(REPO_ROOT, 'dist', 'index.cjs')))
    throw new Error('dist/ is not built: run `npm run build` first')
  // --ignore-scripts: prepack would build again; the tests run on the build that was just made.
  const pack = await spawnAndCollect('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', into], {
    cwd: REPO_ROOT,
    env: npmEnv(),
    timeoutMs: 120_000,
  })
  if (pack.code !== 0) throw new Error(`npm pack failed (exit ${pack.code}):\n${pack.stderr}`)
  return join(into, JSON.parse(pack.stdout)[0].filename)
}

/**
 * Copies test/fixtures/<name> into `into`, installs its dependencies and the tarball with npm (as
 * `npm install oclif-plugin-telemetry` would, into `dependencies`), and compiles its TypeScript
 * against the installed package's types. Returns the host's folder.
 */
export async function installPackedHost(name: string, tarball: string, into: string): Promise<string> {
  const dir = join(into, name)
  cpSync(join(FIXTURES, name), dir, {recursive: true})
  const install = await spawnAndCollect('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', tarball], {
    cwd: dir,
    env: npmEnv(),
    timeoutMs: 240_000,
  })
  if (install.code !== 0)
    throw new Error(
      `npm install in ${name} failed (exit ${install.code}); it needs the npm registry:\n${install.stderr}`,
    )
  const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
  const compile = await spawnAndCollect(process.execPath, [tsc, '-p', dir], {cwd: dir, timeoutMs: 120_000})
  if (compile.code !== 0) throw new Error(`tsc in ${name} failed:\n${compile.stdout}${compile.stderr}`)
  return dir
}
