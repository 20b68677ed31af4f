// The plugin as a CLI author gets it from npm (the packed tarball, installed with npm): a CommonJS host
// (TypeScript compiled to require(), as oclif's CommonJS template makes) and an ES module host, each
// calling track() from a command, on the oldest Node.js the package claims (20.16.0, which cannot
// require() an ES module) and on Node.js 22; and on Node.js 18, which the plugin does not support.
import assert from 'node:assert/strict'
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {debugEvents, spawnAndCollect} from '../helpers/process.js'
import {cleanSandboxes, makeSandbox, type Sandbox} from '../helpers/sandbox.js'
import {nodeBinary} from './node-binaries.js'
import {installPackedHost, packPlugin, workFolder} from './packed-hosts.js'

const HOSTS = [
  {bin: 'cjscli', fixture: 'cjs-host', kind: 'CommonJS'},
  {bin: 'esmcli', fixture: 'esm-host', kind: 'ES module'},
] as const
const SUPPORTED_NODES = ['20.16.0', '22']
const work = workFolder()
const hostDirs = new Map<string, string>()
const nodes = new Map<string, string>()

before(async () => {
  const tarball = await packPlugin(work.dir)
  for (const {fixture} of HOSTS) hostDirs.set(fixture, await installPackedHost(fixture, tarball, work.dir))
  for (const spec of [...SUPPORTED_NODES, '18']) nodes.set(spec, await nodeBinary(spec))
})
after(() => {
  cleanSandboxes()
  work.remove()
})

function runner(fixture: string, spec: string) {
  return (sandbox: Sandbox, args: string[], extra: NodeJS.ProcessEnv = {}) =>
    spawnAndCollect(nodes.get(spec)!, [join(hostDirs.get(fixture)!, 'bin', 'run.js'), ...args], {
      cwd: hostDirs.get(fixture)!,
      env: {...sandbox.env, ...extra},
    })
}

for (const {bin, fixture, kind} of HOSTS) {
  for (const spec of SUPPORTED_NODES) {
    describe(`compat: the ${kind} host on Node ${spec}, the plugin from its packed tarball`, () => {
      const host = runner(fixture, spec)

      it(`runs on Node ${spec} with the plugin installed from the tarball`, async () => {
        const version = await spawnAndCollect(nodes.get(spec)!, ['--version'])
        const v = version.stdout.trim()
        assert.ok(spec.includes('.') ? v === `v${spec}` : v.startsWith(`v${spec}.`), `node@${spec} runs Node ${v}`)
        const installed = JSON.parse(readFileSync(join(hostDirs.get(fixture)!, 'package.json'), 'utf8'))
        assert.match(installed.dependencies['oclif-plugin-telemetry'], /^file:.*\.tgz$/)
        const plugin = join(hostDirs.get(fixture)!, 'node_modules', 'oclif-plugin-telemetry')
        assert.ok(existsSync(join(plugin, 'dist', 'index.cjs')), 'the tarball has no dist/index.cjs')
        assert.ok(!existsSync(join(plugin, 'src')), 'the tarball carries the sources')
      })

      it('records a command and the custom event its command sends with track(), stdout and exit code unchanged', async () => {
        const sandbox = makeSandbox()
        const off = await host(sandbox, ['deploy'], {DO_NOT_TRACK: '1'})
        assert.equal(off.code, 0, off.stderr)
        assert.equal(off.stdout, 'deployed\n')
        assert.equal(off.stderr, '')

        const first = await host(sandbox, ['hello', '--loud'])
        assert.equal(first.code, 0, first.stderr)
        assert.equal(first.stdout, 'HELLO\n')
        assert.match(first.stderr, /anonymous usage data/, 'no first-run notice on stderr')

        const deploy = await host(sandbox, ['deploy'], {CHEF_TELEMETRY_DEBUG: '1'})
        assert.equal(deploy.code, 0, deploy.stderr)
        assert.equal(deploy.stdout, off.stdout, "the plugin changed the command's stdout")
        assert.doesNotMatch(deploy.stderr, /ERR_REQUIRE_ESM|not found|Error/)
        const events = debugEvents(deploy.stderr)
        const custom = events.find((event) => event.payload.event === 'deploy-finished')
        assert.ok(custom, `track() sent nothing:\n${deploy.stderr}`)
        assert.deepEqual(custom.payload.properties, {target_count: 3}, 'the undeclared property was kept')
        assert.equal(custom.product, bin)
        const command = events.find((event) => event.payload.event === 'command')
        assert.ok(command, `the command was not recorded:\n${deploy.stderr}`)
        assert.equal(command.payload.properties.command, 'deploy')
        assert.equal(command.payload.properties.outcome, 'success')
        assert.equal(
          `v${command.payload.properties.node}`,
          (await spawnAndCollect(nodes.get(spec)!, ['--version'])).stdout.trim(),
        )
      })

      it('queues events, and `telemetry status --json` and `telemetry off` work', async () => {
        const sandbox = makeSandbox()
        await host(sandbox, ['hello'])
        const recorded = await host(sandbox, ['deploy'])
        assert.equal(recorded.code, 0, recorded.stderr)
        assert.equal(recorded.stderr, '')
        const status = await host(sandbox, ['telemetry', 'status', '--json'])
        assert.equal(status.code, 0, status.stderr)
        const json = JSON.parse(status.stdout)
        assert.deepEqual([json.enabled, json.product, json.queued], [true, bin, 2])
        const off = await host(sandbox, ['telemetry', 'off'])
        assert.equal(off.code, 0, off.stderr)
        const after = JSON.parse((await host(sandbox, ['telemetry', 'status', '--json'])).stdout)
        assert.deepEqual([after.enabled, after.queued], [false, 0])
      })
    })
  }
}

describe('compat: Node 18, which the plugin does not support', () => {
  for (const {fixture, kind} of HOSTS) {
    const host = runner(fixture, '18')

    it(`${kind} host: the hooks do nothing, track() does nothing, the commands run as without the plugin`, async () => {
      const sandbox = makeSandbox()
      for (const extra of [{}, {CHEF_TELEMETRY_DEBUG: '1'}]) {
        const hello = await host(sandbox, ['hello', '--loud'], extra)
        assert.deepEqual([hello.code, hello.stdout, hello.stderr], [0, 'HELLO\n', ''])
        const deploy = await host(sandbox, ['deploy'], extra)
        assert.deepEqual([deploy.code, deploy.stdout, deploy.stderr], [0, 'deployed\n', ''])
      }

      assert.ok(!existsSync(sandbox.configDir), 'a shared config was written')
      assert.ok(!existsSync(join(sandbox.cacheDir, 'queue')), 'events were queued')
    })

    it(`${kind} host: every telemetry command says in one line that this Node.js is unsupported, exit code 1`, async () => {
      const sandbox = makeSandbox()
      for (const args of [
        ['telemetry', 'status'],
        ['telemetry'],
        ['telemetry', 'off', '--json'],
        ['telemetry', 'on'],
      ]) {
        const result = await host(sandbox, args)
        assert.equal(result.code, 1, `${args.join(' ')}: ${result.stderr}`)
        assert.equal(result.stdout, '')
        assert.match(
          result.stderr,
          /^Telemetry needs Node\.js 20\.16 or a later 20\.x, or 22\.3 or later, and this is Node\.js 18\.\d+\.\d+: nothing is recorded or sent with it, and nothing was changed\.\n$/,
        )
      }

      assert.ok(!existsSync(sandbox.configDir), 'a shared config was written')
      assert.ok(!existsSync(join(sandbox.home, '.chef')), 'the opt-out file was written')
    })
  }
})
