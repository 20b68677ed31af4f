// A host CLI on Node 22 (npm's `node@22` package) with @oclif/core 5 loads the plugin and records commands.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {debugEvents, spawnAndCollect} from '../helpers/process.js'
import {cleanSandboxes, makeSandbox} from '../helpers/sandbox.js'
import {FIXTURES, hostEnv, installFixture} from './support.js'

// test/fixtures/core5-host/package.json: what the host runs on (node@22, @oclif/core 5), installed by npm ci.
// test/fixtures/core5-host/cli: the host CLI; it finds @oclif/core 5 in ../node_modules, and the plugin
// in its own node_modules (a symlink to the repository root). @oclif/core 5 loads only `oclif.plugins`
// that are also in `dependencies`, so the CLI's package.json lists the plugin there; keeping it out of
// the npm-installed package.json means npm never tries to install or link the plugin itself.
let dir: string
let cli: string
let node22: string

const host = (env: NodeJS.ProcessEnv, args: string[]) =>
  spawnAndCollect(node22, [join(cli, 'bin', 'run.js'), ...args], {cwd: cli, env})

before(async () => {
  dir = await installFixture('core5-host', {linkPluginInto: join(FIXTURES, 'core5-host', 'cli')})
  cli = join(dir, 'cli')
  node22 = join(dir, 'node_modules', 'node', 'bin', 'node')
})
after(cleanSandboxes)

describe('compat: Node 22 + @oclif/core 5 host', () => {
  it('has Node 22 from the node@22 package and @oclif/core 5', async () => {
    const version = await spawnAndCollect(node22, ['--version'])
    assert.equal(version.code, 0, `${node22} does not run: ${version.stderr}`)
    assert.match(version.stdout.trim(), /^v22\./)
    const core = JSON.parse(readFileSync(join(dir, 'node_modules', '@oclif', 'core', 'package.json'), 'utf8'))
    assert.match(core.version, /^5\./)
  })

  it('records the second command on a fresh home (node 22.x), with stdout and exit code unchanged', async () => {
    const sandbox = makeSandbox()
    const off = await host(hostEnv(sandbox, {DO_NOT_TRACK: '1'}), ['hello', '--loud'])
    assert.equal(off.code, 0, off.stderr)
    assert.equal(off.stdout, 'HELLO\n')

    const first = await host(hostEnv(sandbox), ['hello', '--loud'])
    assert.equal(first.code, 0, first.stderr)
    assert.equal(first.stdout, off.stdout, "the plugin changed the first command's stdout")
    assert.match(first.stderr, /anonymous usage data/, 'no first-run notice on stderr')
    assert.deepEqual(debugEvents(first.stderr), [])

    const second = await host(hostEnv(sandbox, {CHEF_TELEMETRY_DEBUG: '1'}), ['hello', '--loud'])
    assert.equal(second.code, 0, second.stderr)
    assert.equal(second.stdout, off.stdout, 'the plugin changed stdout')
    const events = debugEvents(second.stderr)
    assert.equal(events.length, 1, `expected one [telemetry] event line on stderr:\n${second.stderr}`)
    const {properties} = events[0].payload
    assert.equal(events[0].product, 'core5cli')
    assert.equal(properties.command, 'hello')
    assert.deepEqual(properties.flags, ['loud'])
    assert.equal(properties.outcome, 'success')
    assert.equal(properties.cli_version, '5.0.0')
    assert.match(properties.node, /^22\./)
  })

  it("keeps a failing command's exit code and records the failure", async () => {
    const sandbox = makeSandbox()
    const off = await host(hostEnv(sandbox, {DO_NOT_TRACK: '1'}), ['fail'])
    assert.equal(off.code, 3, off.stderr)
    await host(hostEnv(sandbox), ['hello'])
    const failed = await host(hostEnv(sandbox, {CHEF_TELEMETRY_DEBUG: '1'}), ['fail'])
    assert.equal(failed.code, off.code)
    assert.equal(failed.stdout, off.stdout)
    const [event] = debugEvents(failed.stderr)
    assert.ok(event, `no [telemetry] event line on stderr:\n${failed.stderr}`)
    assert.deepEqual(
      [event.payload.properties.command, event.payload.properties.outcome, event.payload.properties.exit_code],
      ['fail', 'failure', 3],
    )
    assert.ok(!JSON.stringify(event).includes('it broke'), 'the error message was recorded')
  })

  it('queues events when not in debug mode, and `telemetry status --json` works', async () => {
    const sandbox = makeSandbox()
    await host(hostEnv(sandbox), ['hello'])
    const recorded = await host(hostEnv(sandbox), ['hello'])
    assert.equal(recorded.code, 0, recorded.stderr)
    const status = await host(hostEnv(sandbox), ['telemetry', 'status', '--json'])
    assert.equal(status.code, 0, status.stderr)
    const json = JSON.parse(status.stdout)
    assert.equal(json.enabled, true)
    assert.equal(json.product, 'core5cli')
    assert.match(json.instanceId, /^[\da-f]{8}-[\da-f]{4}-4[\da-f]{3}-[89ab][\da-f]{3}-[\da-f]{12}$/)
    assert.equal(json.endpoint, 'http://127.0.0.1:9')
  })
})
