// Node.js binaries of other versions for the compatibility tests, from npm's `node` package: each
// version is installed once into node_modules/.cache (not the repository's node_modules/.bin, which
// npm scripts would run) and kept there for later runs and other test files.
import {existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {REPO_ROOT, spawnAndCollect} from '../helpers/process.js'
import {npmEnv} from './support.js'

const CACHE = join(REPO_ROOT, 'node_modules', '.cache', 'compat-node')

/** The path of the `node` binary of npm's `node@<spec>` (e.g. `20.16.0`, `22`), installed on first use. */
export async function nodeBinary(spec: string): Promise<string> {
  const dir = join(CACHE, `node@${spec}`)
  const binary = join(dir, 'node_modules', 'node', 'bin', 'node')
  if (existsSync(binary)) return binary
  mkdirSync(CACHE, {recursive: true})
  // Installed beside and renamed into place, so that a test file running at the same time, or one
  // stopped halfway, never leaves a half-installed version to be used.
  const staging = mkdtempSync(join(CACHE, `.node@${spec}-`))
  try {
    // The node package fetches its platform's binary in a preinstall script.
    writeFileSync(join(staging, 'package.json'), JSON.stringify({allowScripts: {node: true}, private: true}))
    const started = performance.now()
    const install = await spawnAndCollect(
      'npm',
      ['install', '--no-audit', '--no-fund', '--loglevel=error', `node@${spec}`],
      {cwd: staging, env: npmEnv(), timeoutMs: 240_000},
    )
    if (install.code !== 0)
      throw new Error(
        `npm install node@${spec} failed (exit ${install.code}); it needs the npm registry:\n${install.stderr}`,
      )
    try {
      renameSync(staging, dir)
    } catch (error) {
      if (!existsSync(binary)) throw error
    }

    process.stderr.write(`# node@${spec}: installed in ${Math.round((performance.now() - started) / 1000)} s\n`)
    return binary
  } finally {
    rmSync(staging, {force: true, recursive: true})
  }
}
