import assert from 'node:assert/strict'
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {release} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import {initialise, runCli} from '../helpers/cli.js'
import {debugEvents} from '../helpers/process.js'
import {allFiles, cleanSandboxes, makeSandbox, modeOf, queuedMessages} from '../helpers/sandbox.js'
import {StubCollector} from '../helpers/stub-collector.js'

const UUID = /^[\da-f]{8}-[\da-f]{4}-4[\da-f]{3}-[89ab][\da-f]{3}-[\da-f]{12}$/

after(cleanSandboxes)

describe('first run', () => {
  it('creates one private config, shows the notice on stderr only, and records nothing', async () => {
    const sandbox = makeSandbox()
    const first = await runCli(sandbox, ['hello'])
    assert.equal(first.code, 0)
    assert.equal(first.stdout, 'hello\n')
    assert.match(first.stderr, /collect anonymous usage data/)
    assert.match(first.stderr, /mycli telemetry off/)
    assert.match(first.stderr, /Privacy policy: https:\/\/example\.com\/privacy/)
    // It names every kind of data sent, and what the collector sees.
    const notice = first.stderr.replaceAll(/\s+/g, ' ')
    for (const kind of [
      'the command',
      'names of the flags',
      'number of arguments',
      'duration and outcome',
      'the tool and its version',
      'the OS, its release and the CPU architecture',
      'Node.js version',
      'CI service',
      'the coding agent that ran the command',
      'whether the output is a terminal',
      'a timestamp',
      'a random id made for this machine',
      'a random session id',
      'The collector sees your IP address',
      'neither stores nor logs it',
    ])
      assert.ok(notice.includes(kind), `the notice does not say: ${kind}`)
    const config = readFileSync(sandbox.configFile, 'utf8')
    assert.match(config, /^# /)
    assert.match(config, /enabled: true/)
    assert.match(config.match(/instance_id: (\S+)/)![1], UUID)
    assert.equal(modeOf(sandbox.configFile), 0o600)
    assert.deepEqual(queuedMessages(sandbox), [])

    const second = await runCli(sandbox, ['hello'])
    assert.equal(second.stderr, '', 'the notice is shown once')
    assert.equal(queuedMessages(sandbox).length, 1)
  })

  it('is not shown, and nothing is written, when the environment opts out', async () => {
    for (const env of [{DO_NOT_TRACK: '1'}, {DO_NOT_TRACK: 'true'}, {CHEF_TELEMETRY_OPT_OUT: 'yes'}]) {
      const sandbox = makeSandbox()
      const result = await runCli(sandbox, ['hello'], {env})
      assert.equal(result.stderr, '', JSON.stringify(env))
      assert.equal(existsSync(sandbox.configFile), false, JSON.stringify(env))
      assert.equal(existsSync(sandbox.queueDir), false, JSON.stringify(env))
    }
  })

  it('still applies when DO_NOT_TRACK is 0 or false', async () => {
    for (const value of ['0', 'false', '']) {
      const sandbox = makeSandbox()
      const result = await runCli(sandbox, ['hello'], {env: {DO_NOT_TRACK: value}})
      assert.match(result.stderr, /anonymous usage data/, `DO_NOT_TRACK=${value}`)
    }
  })

  it('is not triggered by the telemetry commands themselves', async () => {
    const sandbox = makeSandbox()
    const result = await runCli(sandbox, ['telemetry', 'status'])
    assert.equal(result.stderr, '')
    assert.equal(existsSync(sandbox.configFile), false)
  })

  it('is not shown inside a repository that opts out, and nothing is recorded there', async () => {
    const sandbox = makeSandbox()
    const repo = join(sandbox.root, 'repo')
    mkdirSync(join(repo, '.chef'), {recursive: true})
    writeFileSync(join(repo, '.chef', 'telemetry_opt_out'), '')
    mkdirSync(join(repo, 'deep', 'er'), {recursive: true})
    const result = await runCli(sandbox, ['hello'], {cwd: join(repo, 'deep', 'er')})
    assert.equal(result.stderr, '')
    assert.equal(existsSync(sandbox.configFile), false)
    await initialise(sandbox)
    await runCli(sandbox, ['hello'], {cwd: join(repo, 'deep', 'er')})
    assert.deepEqual(queuedMessages(sandbox), [])
    await runCli(sandbox, ['hello'])
    assert.equal(queuedMessages(sandbox).length, 1, 'outside the repository, commands are recorded')
  })
})

describe('recorded commands', () => {
  it('are complete messages, one JSON line each', async () => {
    const sandbox = makeSandbox()
    await initialise(sandbox)
    await runCli(sandbox, ['hello'])
    await runCli(sandbox, ['slow', '--ms', '120'])
    const [hello, slow] = queuedMessages(sandbox)
    const instanceId = readFileSync(sandbox.configFile, 'utf8').match(/instance_id: (\S+)/)![1]
    for (const message of [hello, slow]) {
      assert.deepEqual(Object.keys(message).sort(), [
        'instance_id',
        'license_id',
        'message_id',
        'message_version',
        'origin',
        'payload',
        'payload_version',
        'product',
        'product_version',
        'session_id',
        'timestamp',
        'type',
      ])
      assert.equal(message.instance_id, instanceId)
      assert.equal(message.payload.anonymousId, instanceId)
      assert.equal(message.type, 'track')
      assert.equal(message.origin, 'command-line')
      assert.equal(message.product, 'mycli')
      assert.equal(message.product_version, '1.2.3')
      assert.equal(message.license_id, '00000000-0000-0000-0000-000000000000')
      assert.equal(message.payload.event, 'command')
      assert.match(message.message_id, UUID)
      assert.ok(Math.abs(Date.parse(message.timestamp) - Date.now()) < 60_000)
    }

    assert.notEqual(hello.message_id, slow.message_id)
    assert.equal(hello.session_id, slow.session_id, 'commands within ten minutes share a session')
    // Every property, exactly: the ones that vary from run to run are checked apart.
    const {ci, duration_ms: durationMs, os_release: osRelease, ...fixed} = hello.payload.properties
    assert.ok(ci === null || typeof ci === 'string', `ci ${ci}`)
    assert.ok(Number.isInteger(durationMs) && durationMs >= 0, `duration ${durationMs}`)
    assert.equal(osRelease, release())
    assert.deepEqual(fixed, {
      agent: null,
      arch: process.arch,
      args: 0,
      cli: 'mycli',
      cli_version: '1.2.3',
      command: 'hello',
      error: null,
      exit_code: 0,
      flags: [],
      node: process.versions.node,
      os: process.platform,
      outcome: 'success',
      plugin: null,
      plugin_version: null,
      suggestion: null,
      tty: false,
      unknown_flags: 0,
    })
    assert.equal(slow.payload.properties.command, 'slow')
    assert.deepEqual(slow.payload.properties.flags, ['ms'])
    assert.ok(slow.payload.properties.duration_ms >= 120, `duration ${slow.payload.properties.duration_ms}`)
    assert.ok(slow.payload.properties.duration_ms < 5000)
  })

  it('keep flag names and argument counts, never values', async () => {
    const sandbox = makeSandbox()
    await initialise(sandbox)
    const canaries = [
      'CANARY-pw-7f3a',
      'CANARY-name-91c2',
      'CANARY-arg-4d11',
      'CANARY-token-0b7e',
      'CANARY-unknown-55e1',
    ]
    const result = await runCli(sandbox, [
      'deploy',
      canaries[2],
      `--password=${canaries[0]}`,
      '--name',
      canaries[1],
      `-t${canaries[3]}`,
      '-fv',
      `--bogus=${canaries[4]}`,
    ])
    assert.equal(result.code, 2, 'an unknown flag is a usage error, as without the plugin')
    await runCli(sandbox, [
      'deploy',
      canaries[2],
      `--password=${canaries[0]}`,
      '--name',
      canaries[1],
      `-t${canaries[3]}`,
      '-f',
      '--no-verbose',
    ])
    const [unknownFlag, deploy] = queuedMessages(sandbox)
    assert.deepEqual(deploy.payload.properties.flags, ['force', 'name', 'password', 'token', 'verbose'])
    assert.equal(deploy.payload.properties.args, 1)
    assert.equal(deploy.payload.properties.unknown_flags, 0)
    assert.equal(unknownFlag.payload.properties.unknown_flags, 1)
    assert.equal(unknownFlag.payload.properties.outcome, 'failure')
    for (const file of allFiles(sandbox.root)) {
      const text = readFileSync(file, 'utf8')
      for (const canary of canaries) assert.ok(!text.includes(canary), `${canary} found in ${file}`)
    }
  })

  it('include failures with their class and exit code, never the message', async () => {
    const sandbox = makeSandbox()
    await initialise(sandbox)
    const fail = await runCli(sandbox, ['fail', '--secret', 'CANARY-fail-3e9d'])
    const bareFail = await runCli(sandbox, ['fail', '--secret', 'CANARY-fail-3e9d'], {bare: true})
    assert.equal(fail.code, 3)
    assert.deepEqual([fail.stdout, fail.stderr, fail.code], [bareFail.stdout, bareFail.stderr, bareFail.code])
    const crash = await runCli(sandbox, ['crash'])
    const bareCrash = await runCli(sandbox, ['crash'], {bare: true})
    assert.deepEqual([crash.stdout, crash.stderr, crash.code], [bareCrash.stdout, bareCrash.stderr, bareCrash.code])
    const [failed, crashed] = queuedMessages(sandbox)
    assert.deepEqual(
      [failed.payload.properties.outcome, failed.payload.properties.error, failed.payload.properties.exit_code],
      ['failure', 'CLIError', 3],
    )
    assert.deepEqual(
      [crashed.payload.properties.outcome, crashed.payload.properties.error, crashed.payload.properties.exit_code],
      ['failure', 'TypeError', 1],
    )
    const files = allFiles(sandbox.root).map((file) => readFileSync(file, 'utf8'))
    assert.ok(!files.some((text) => text.includes('CANARY-fail-3e9d') || text.includes('unexpected crash detail')))
  })

  it('include unknown commands as not_found with a suggestion, never the word typed', async () => {
    const collector = await new StubCollector().start()
    try {
      const sandbox = makeSandbox()
      const env = {CHEF_TELEMETRY_ENDPOINT: collector.url}
      await initialise(sandbox, {env})
      // Canaries as the first word: secrets typed by mistake, and typos one edit from a real command.
      const canaries = {dxploy: 'deploy', 'ghp-abc123def456': null, hellp: 'hello', hunter2: null}
      for (const canary of Object.keys(canaries)) {
        const withPlugin = await runCli(sandbox, [canary, 'web', '--flag', 'x'], {env})
        const bare = await runCli(sandbox, [canary, 'web', '--flag', 'x'], {bare: true, env})
        assert.deepEqual([withPlugin.stdout, withPlugin.stderr, withPlugin.code], [bare.stdout, bare.stderr, bare.code])
        assert.equal(withPlugin.code, 2)
      }

      const queued = queuedMessages(sandbox)
      assert.deepEqual(
        queued.map((m) => [
          m.payload.properties.command,
          m.payload.properties.outcome,
          m.payload.properties.suggestion,
        ]),
        Object.values(canaries).map((suggestion) => [null, 'not_found', suggestion]),
      )
      assert.equal(queued[0].payload.properties.unknown_flags, 1)
      const written = () => allFiles(sandbox.root).map((file) => readFileSync(file, 'utf8'))
      const beforeFlush = written()
      const flush = await runCli(sandbox, ['telemetry', 'flush'], {env})
      assert.equal(flush.code, 0, flush.stderr)
      assert.equal(collector.stored.length, 4)
      const received = JSON.stringify(collector.stored)
      for (const canary of Object.keys(canaries)) {
        assert.ok(!received.includes(canary), `${canary} reached the collector`)
        assert.ok(![...beforeFlush, ...written()].some((text) => text.includes(canary)), `${canary} written to a file`)
      }
    } finally {
      await collector.close()
    }
  })

  it('have a null suggestion for every outcome other than not_found', async () => {
    const sandbox = makeSandbox()
    await initialise(sandbox)
    for (const args of [['hello'], ['fail'], ['--version'], ['deploy', '--help']]) await runCli(sandbox, args)
    assert.deepEqual(
      queuedMessages(sandbox).map((m) => [m.payload.properties.outcome, m.payload.properties.suggestion]),
      [
        ['success', null],
        ['failure', null],
        ['version', null],
        ['help', null],
      ],
    )
  })

  it('leave stdout byte-for-byte as it is without the plugin', async () => {
    const sandbox = makeSandbox()
    await initialise(sandbox)
    for (const args of [
      ['hello'],
      ['deploy', 'app', '--json', '-n', 'x'],
      ['--version'],
      ['--help'],
      ['deploy', '--help'],
      ['fail'],
    ]) {
      const withPlugin = await runCli(sandbox, args)
      const bare = await runCli(sandbox, args, {bare: true})
      if (args[0] === '--help') {
        // The plugin adds its own `telemetry` topic to the help; everything else is unchanged.
        assert.equal(withPlugin.stdout.replace(/\nTOPICS\n {2}telemetry .*\n/, ''), bare.stdout)
      } else assert.equal(withPlugin.stdout, bare.stdout, args.join(' '))
      assert.equal(withPlugin.code, bare.code, args.join(' '))
      assert.equal(withPlugin.stderr, bare.stderr, args.join(' '))
    }

    const outcomes = queuedMessages(sandbox).map((m) => [m.payload.properties.command, m.payload.properties.outcome])
    assert.deepEqual(outcomes, [
      ['hello', 'success'],
      ['deploy', 'success'],
      [null, 'version'],
      [null, 'help'],
      ['deploy', 'help'],
      ['fail', 'failure'],
    ])
  })

  it('do not include the telemetry commands', async () => {
    const sandbox = makeSandbox()
    await initialise(sandbox)
    await runCli(sandbox, ['telemetry', 'status'])
    await runCli(sandbox, ['telemetry', 'status', '--json'])
    assert.deepEqual(queuedMessages(sandbox), [])
  })

  it('are printed to stderr and not queued in debug mode', async () => {
    const sandbox = makeSandbox()
    await initialise(sandbox)
    const result = await runCli(sandbox, ['hello'], {env: {CHEF_TELEMETRY_DEBUG: '1'}})
    assert.equal(result.stdout, 'hello\n')
    assert.deepEqual(
      debugEvents(result.stderr).map((event) => event.payload.properties.command),
      ['hello'],
    )
    assert.deepEqual(queuedMessages(sandbox), [])
  })

  it('use the endpoint and opt-out of the environment over package.json', async () => {
    const sandbox = makeSandbox()
    await initialise(sandbox)
    const status = await runCli(sandbox, ['telemetry', 'status', '--json'], {
      env: {CHEF_TELEMETRY_ENDPOINT: 'https://collector.example'},
    })
    assert.equal(JSON.parse(status.stdout).endpoint, 'https://collector.example')
    await runCli(sandbox, ['hello'], {env: {CHEF_TELEMETRY_OPT_OUT: '1'}})
    assert.deepEqual(queuedMessages(sandbox), [])
  })
})
