// A host with @oclif/plugin-plugins adds the telemetry plugin with `<host> plugins link <dir>`.
//
// What `plugins link` does (plugin-plugins 5): it loads the directory as an oclif plugin, and unless
// given --no-install it installs that directory's dependencies first: with a yarn.lock, `yarn`; with a
// package-lock.json, a full `npm install` (devDependencies included) run in the linked directory with
// plugin-plugins' own npm; with no lockfile, only a warning. Then it records {type: 'link', root} in the
// host's data dir (`$XDG_DATA_HOME/<bin>/package.json`), so the plugin loads on every later run.
// Linking the live repository with the default --install would run `npm install` on the repository
// while the test suite is using its node_modules (and may rewrite its package-lock.json), so:
//   - the live repository is linked with --no-install, as a developer whose checkout is installed would;
//   - the install step is exercised on a copy of what `npm pack` publishes, with a lockfile made for it.
import assert from 'node:assert/strict'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import type {Sandbox} from '../helpers/sandbox.js'

import {debugEvents, REPO_ROOT, spawnAndCollect} from '../helpers/process.js'
import {cleanSandboxes, makeSandbox} from '../helpers/sandbox.js'
import {hostEnv, installFixture, npmEnv, sha256} from './support.js'

let dir: string

const host = (sandbox: Sandbox, args: string[], extra: NodeJS.ProcessEnv = {}, timeoutMs = 30_000) =>
  spawnAndCollect(process.execPath, [join(dir, 'bin', 'run.js'), ...args], {
    cwd: sandbox.root,
    env: npmEnv(hostEnv(sandbox, extra)),
    timeoutMs,
  })

/** After linking: the first command (`plugins`) shows the notice, later ones are recorded, status works. */
async function assertRecords(sandbox: Sandbox, root: string): Promise<void> {
  const list = await host(sandbox, ['plugins'])
  assert.equal(list.code, 0, list.stderr)
  assert.match(list.stdout, /oclif-plugin-telemetry \S+ \(link\)/, `not listed as linked:\n${list.stdout}`)
  assert.ok(list.stdout.includes(root), list.stdout)
  assert.match(
    list.stderr,
    /anonymous usage data/,
    `the linked plugin did not run (no first-run notice):\n${list.stderr}`,
  )

  const first = await host(sandbox, ['hello'])
  assert.equal(first.code, 0, first.stderr)
  assert.equal(first.stdout, 'hello\n')

  const second = await host(sandbox, ['hello', '-l'], {CHEF_TELEMETRY_DEBUG: '1'})
  assert.equal(second.code, 0, second.stderr)
  assert.equal(second.stdout, 'HELLO\n')
  const events = debugEvents(second.stderr)
  assert.equal(events.length, 1, `expected one [telemetry] event line on stderr:\n${second.stderr}`)
  assert.equal(events[0].product, 'linkcli')
  assert.deepEqual(
    [events[0].payload.properties.command, events[0].payload.properties.flags, events[0].payload.properties.outcome],
    ['hello', ['loud'], 'success'],
  )

  const failed = await host(sandbox, ['fail'], {CHEF_TELEMETRY_DEBUG: '1'})
  assert.equal(failed.code, 3, failed.stderr)
  assert.equal(debugEvents(failed.stderr)[0]?.payload.properties.outcome, 'failure')

  const status = await host(sandbox, ['telemetry', 'status'])
  assert.equal(status.code, 0, status.stderr)
  assert.match(status.stdout, /Telemetry is on for linkcli/)
  const json = JSON.parse((await host(sandbox, ['telemetry', 'status', '--json'])).stdout)
  assert.deepEqual([json.enabled, json.product, json.endpoint], [true, 'linkcli', 'http://127.0.0.1:9'])
}

before(async () => {
  dir = await installFixture('plugins-host')
})
after(cleanSandboxes)

describe('compat: @oclif/plugin-plugins `plugins link`', () => {
  it('links the live repository with --no-install, records commands, and leaves its node_modules alone', async () => {
    const guarded = [join(REPO_ROOT, 'package-lock.json'), join(REPO_ROOT, 'node_modules', '.package-lock.json')]
    const before = guarded.map((file) => sha256(file))
    const sandbox = makeSandbox()
    const link = await host(sandbox, ['plugins', 'link', REPO_ROOT, '--no-install'])
    assert.equal(link.code, 0, `plugins link failed:\n${link.stderr}`)
    await assertRecords(sandbox, REPO_ROOT)
    assert.deepEqual(
      guarded.map((file) => sha256(file)),
      before,
      "the repository's package-lock.json or node_modules changed",
    )
  })

  it('links a packed copy of the plugin, letting `plugins link` install its dependencies', async () => {
    const sandbox = makeSandbox()
    const pack = await spawnAndCollect(
      'npm',
      ['pack', '--ignore-scripts', '--json', '--pack-destination', sandbox.root],
      {
        cwd: REPO_ROOT,
        env: npmEnv(),
        timeoutMs: 60_000,
      },
    )
    assert.equal(pack.code, 0, `npm pack failed:\n${pack.stderr}`)
    const [{filename}] = JSON.parse(pack.stdout)
    const untar = await spawnAndCollect('tar', ['-xzf', join(sandbox.root, filename), '-C', sandbox.root])
    assert.equal(untar.code, 0, untar.stderr)
    const copy = join(sandbox.root, 'package')

    // What a user of the published package installs: its dependencies, not the repository's devDependencies
    // (which `plugins link` would install) or workspaces (not in the package). A lockfile makes link install.
    const pjsonPath = join(copy, 'package.json')
    const pjson = JSON.parse(readFileSync(pjsonPath, 'utf8'))
    delete pjson.devDependencies
    delete pjson.workspaces
    delete pjson.scripts
    writeFileSync(pjsonPath, JSON.stringify(pjson, null, 2))
    const lock = await spawnAndCollect(
      'npm',
      ['install', '--package-lock-only', '--ignore-scripts', '--loglevel=error'],
      {
        cwd: copy,
        env: npmEnv(),
        timeoutMs: 60_000,
      },
    )
    assert.equal(lock.code, 0, `npm install --package-lock-only failed (needs the npm registry):\n${lock.stderr}`)

    const link = await host(sandbox, ['plugins', 'link', copy], {}, 120_000)
    assert.equal(link.code, 0, `plugins link (with its npm install) failed:\n${link.stderr}`)
    assert.ok(
      JSON.parse(readFileSync(join(copy, 'node_modules', '@oclif', 'core', 'package.json'), 'utf8')).version,
      "plugins link did not install the copy's dependencies",
    )
    await assertRecords(sandbox, copy)
  })
})
