import {runCommand} from '@oclif/test'
import assert from 'node:assert/strict'
import {existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import {initialise, runCli} from '../helpers/cli.js'
import {cleanSandboxes, makeSandbox, modeOf, queuedMessages} from '../helpers/sandbox.js'

after(cleanSandboxes)

const json = async (sandbox: ReturnType<typeof makeSandbox>, args: string[], env?: NodeJS.ProcessEnv) => {
  const result = await runCli(sandbox, [...args, '--json'], {env})
  assert.equal(result.code, 0, result.stderr)
  return JSON.parse(result.stdout)
}

describe('telemetry status', () => {
  it('explains a fresh machine, then the shared decision', async () => {
    const sandbox = makeSandbox()
    const fresh = await json(sandbox, ['telemetry', 'status'])
    assert.equal(fresh.rule, 'first-run')
    assert.equal(fresh.instanceId, null)
    await initialise(sandbox)
    const status = await json(sandbox, ['telemetry', 'status'])
    assert.deepEqual(
      {...status, instanceId: typeof status.instanceId},
      {
        backoffUntil: null,
        configFile: sandbox.configFile,
        debug: false,
        dropped: 0,
        enabled: true,
        endpoint: 'http://127.0.0.1:9',
        instanceId: 'string',
        lastFailure: null,
        lastSent: null,
        namespace: 'chef',
        pendingDeletions: [],
        product: 'mycli',
        queued: 0,
        reason: 'the shared config says enabled: true',
        rejected: 0,
        rejectedReasons: [],
        rule: 'config',
        unkept: null,
        warnings: [],
      },
    )
    await runCli(sandbox, ['hello'])
    await runCli(sandbox, ['hello'])
    const human = await runCli(sandbox, ['telemetry', 'status'])
    assert.match(human.stdout, /^Telemetry is on for mycli: the shared config says enabled: true\./)
    assert.match(human.stdout, /Waiting: +2 event\(s\)/)
    assert.match(human.stdout, /Endpoint: +http:\/\/127\.0\.0\.1:9 \(from package\.json\)/)
    assert.match(human.stdout, new RegExp(`Config file: +${sandbox.configFile}`))
  })

  it('names the rule that decided, first rule first', async () => {
    const sandbox = makeSandbox()
    await initialise(sandbox)
    const repo = join(sandbox.root, 'repo')
    mkdirSync(join(repo, '.chef'), {recursive: true})
    writeFileSync(join(repo, '.chef', 'telemetry_opt_out'), '')
    const rule = async (env: NodeJS.ProcessEnv, cwd?: string) => {
      const result = await runCli(sandbox, ['telemetry', 'status', '--json'], {cwd, env})
      const status = JSON.parse(result.stdout)
      return [status.enabled, status.rule, status.reason]
    }

    assert.deepEqual(await rule({CHEF_TELEMETRY_OPT_OUT: '1', DO_NOT_TRACK: '1'}, repo), [
      false,
      'environment',
      'DO_NOT_TRACK is set in the environment',
    ])
    assert.deepEqual(await rule({CHEF_TELEMETRY_OPT_OUT: '1'}, repo), [
      false,
      'environment',
      'CHEF_TELEMETRY_OPT_OUT is set in the environment',
    ])
    assert.deepEqual((await rule({}, repo)).slice(0, 2), [false, 'repository-opt-out-file'])
    assert.deepEqual((await rule({CHEF_TELEMETRY_DEBUG: '1'})).slice(0, 2), [true, 'config'])
  })

  it('says when no endpoint is configured (the plugin on its own has none)', async () => {
    const sandbox = makeSandbox()
    const saved = {...process.env}
    Object.assign(process.env, sandbox.env)
    try {
      const {error, result} = await runCommand<{enabled: boolean; endpoint: null; rule: string}>([
        'telemetry:status',
        '--json',
      ])
      assert.equal(error, undefined)
      assert.deepEqual([result?.enabled, result?.rule, result?.endpoint], [false, 'no-endpoint', null])
    } finally {
      process.env = saved
    }
  })
})

describe('the words users already type', () => {
  it('`telemetry` alone shows the status, in text and --json', async () => {
    const sandbox = makeSandbox()
    await initialise(sandbox)
    const alone = await runCli(sandbox, ['telemetry'])
    const status = await runCli(sandbox, ['telemetry', 'status'])
    assert.equal(alone.code, 0, alone.stderr)
    assert.equal(alone.stderr, '')
    assert.equal(alone.stdout, status.stdout)
    assert.deepEqual(await json(sandbox, ['telemetry']), await json(sandbox, ['telemetry', 'status']))
    assert.deepEqual(queuedMessages(sandbox), [], 'not recorded, as the other telemetry commands')
  })

  it('`telemetry disable` and `telemetry enable` are `off` and `on`', async () => {
    const sandbox = makeSandbox()
    await initialise(sandbox)
    const disable = await runCli(sandbox, ['telemetry', 'disable'])
    assert.equal(disable.code, 0, disable.stderr)
    assert.match(disable.stdout, /Telemetry is now off for every chef tool on this machine\./)
    assert.match(readFileSync(sandbox.configFile, 'utf8'), /enabled: false/)
    assert.ok(existsSync(join(sandbox.home, '.chef', 'telemetry_opt_out')))
    const enable = await json(sandbox, ['telemetry', 'enable'])
    assert.deepEqual([enable.enabled, enable.wasEnabled], [true, false])
    assert.match(readFileSync(sandbox.configFile, 'utf8'), /enabled: true/)
    await runCli(sandbox, ['hello'])
    assert.equal(queuedMessages(sandbox).length, 1)
  })
})

describe('telemetry off / on', () => {
  it('off keeps comments and other keys, writes the opt-out file, deletes waiting events', async () => {
    const sandbox = makeSandbox()
    await initialise(sandbox)
    await runCli(sandbox, ['hello'])
    await runCli(sandbox, ['hello'])
    writeFileSync(sandbox.configFile, readFileSync(sandbox.configFile, 'utf8') + '# my own note\nteam: platform\n')
    const before = readFileSync(sandbox.configFile, 'utf8')
    const off = await runCli(sandbox, ['telemetry', 'off'])
    assert.equal(off.code, 0)
    assert.match(off.stdout, /Telemetry is now off for every chef tool on this machine\./)
    assert.match(off.stdout, /Deleted 2 event\(s\)/)
    const after = readFileSync(sandbox.configFile, 'utf8')
    assert.equal(after, before.replace('enabled: true', 'enabled: false'))
    assert.equal(modeOf(sandbox.configFile), 0o600)
    assert.ok(existsSync(join(sandbox.home, '.chef', 'telemetry_opt_out')))
    assert.equal(queuedMessages(sandbox).length, 0)
    await runCli(sandbox, ['hello'])
    assert.equal(queuedMessages(sandbox).length, 0, 'nothing is recorded while off')
    const again = await json(sandbox, ['telemetry', 'off'])
    assert.equal(again.wasEnabled, false)

    const on = await runCli(sandbox, ['telemetry', 'on'])
    assert.match(on.stdout, /Telemetry is now on for every chef tool/)
    assert.equal(readFileSync(sandbox.configFile, 'utf8'), before)
    assert.equal(existsSync(join(sandbox.home, '.chef', 'telemetry_opt_out')), false)
    await runCli(sandbox, ['hello'])
    assert.equal(queuedMessages(sandbox).length, 1)
  })

  it('on says plainly when the environment still keeps telemetry off', async () => {
    const sandbox = makeSandbox()
    await initialise(sandbox)
    await runCli(sandbox, ['telemetry', 'off'])
    const on = await runCli(sandbox, ['telemetry', 'on'], {env: {DO_NOT_TRACK: '1'}})
    assert.match(on.stdout, /stays off: DO_NOT_TRACK is set in the environment/)
    const result = await json(sandbox, ['telemetry', 'on'], {CHEF_TELEMETRY_OPT_OUT: '1'})
    assert.deepEqual([result.enabled, result.reason], [false, 'CHEF_TELEMETRY_OPT_OUT is set in the environment'])
    assert.match(readFileSync(sandbox.configFile, 'utf8'), /enabled: true/)
  })

  it('on and off on a fresh machine create the config with that decision, without a notice', async () => {
    const sandbox = makeSandbox()
    const off = await runCli(sandbox, ['telemetry', 'off'])
    assert.equal(off.stderr, '')
    assert.match(readFileSync(sandbox.configFile, 'utf8'), /enabled: false/)
    const first = await runCli(sandbox, ['hello'])
    assert.equal(first.stderr, '', 'no notice: the user has already decided')
    assert.equal(queuedMessages(sandbox).length, 0)
  })

  it('rewrite an invalid config, keeping a copy of it', async () => {
    const sandbox = makeSandbox()
    mkdirSync(sandbox.configDir, {recursive: true})
    writeFileSync(sandbox.configFile, 'enabled: [oops\n')
    const on = await runCli(sandbox, ['telemetry', 'on'])
    assert.equal(on.code, 0)
    assert.match(on.stderr, /could not be used; it was rewritten/)
    const backup = readdirSync(sandbox.configDir).find((n) => n.includes('.invalid-'))!
    assert.equal(readFileSync(join(sandbox.configDir, backup), 'utf8'), 'enabled: [oops\n')
    assert.match(readFileSync(sandbox.configFile, 'utf8'), /enabled: true/)
    assert.ok(statSync(sandbox.configFile).isFile())
  })
})
