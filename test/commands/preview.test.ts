import assert from 'node:assert/strict'
import {existsSync, mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import {initialise, runCli} from '../helpers/cli.js'
import {cleanSandboxes, makeSandbox, queuedMessages, type Sandbox} from '../helpers/sandbox.js'
import {StubCollector} from '../helpers/stub-collector.js'

const stubs: StubCollector[] = []
after(async () => {
  for (const stub of stubs.splice(0)) await stub.close()
  cleanSandboxes()
})

async function recorded(sandbox: Sandbox, commands: string[][]): Promise<void> {
  await initialise(sandbox)
  for (const args of commands) await runCli(sandbox, args)
}

describe('telemetry preview', () => {
  it('prints the waiting messages on stdout, one JSON line each, byte for byte as queued; the counts on stderr', async () => {
    const sandbox = makeSandbox()
    await recorded(sandbox, [['hello'], ['slow', '--ms', '1'], ['deploy', 'web', '--force']])
    const queued = queuedMessages(sandbox)
    const preview = await runCli(sandbox, ['telemetry', 'preview'])
    assert.equal(preview.code, 0, preview.stderr)
    const lines = preview.stdout.split('\n').filter(Boolean)
    assert.equal(lines.length, 3)
    assert.deepEqual(
      lines.map((line) => JSON.parse(line)),
      queued,
    )
    // Exactly as they will be sent: the very lines of the queue, in its order.
    assert.deepEqual(
      lines,
      queued.map((m) => JSON.stringify(m)),
    )
    assert.deepEqual(
      lines.map((line) => JSON.parse(line).payload.properties.command),
      ['hello', 'slow', 'deploy'],
    )
    assert.match(preview.stderr, /3 event\(s\) waiting to be sent/)
    assert.match(preview.stderr, /None sent yet\./)
    assert.equal(queuedMessages(sandbox).length, 3, 'preview sends and moves nothing')
  })

  it('with --json prints one object: the events, how many were sent and when', async () => {
    const sandbox = makeSandbox()
    await recorded(sandbox, [['hello']])
    const result = await runCli(sandbox, ['telemetry', 'preview', '--json'])
    assert.equal(result.code, 0, result.stderr)
    assert.equal(result.stderr, '')
    const report = JSON.parse(result.stdout)
    assert.deepEqual(report.events, queuedMessages(sandbox))
    assert.deepEqual(
      [report.waiting, report.sent, report.lastSent, report.enabled, report.corrupt, report.retired],
      [1, 0, null, true, 0, 0],
    )
  })

  it('says how many were sent and when, once the collector has them, and nothing waits', async () => {
    const stub = await new StubCollector().start()
    stubs.push(stub)
    const sandbox = makeSandbox()
    sandbox.env.CHEF_TELEMETRY_ENDPOINT = stub.url
    await recorded(sandbox, [['hello'], ['hello']])
    const flush = await runCli(sandbox, ['telemetry', 'flush'])
    assert.equal(flush.code, 0, flush.stderr)
    const preview = await runCli(sandbox, ['telemetry', 'preview'])
    assert.equal(preview.stdout, '', 'nothing on stdout when nothing waits')
    assert.match(preview.stderr, /No events waiting to be sent\./)
    assert.match(preview.stderr, /Sent so far: 2 event\(s\); last sent \d{4}-\d\d-\d\dT[\d:.]+Z\./)
    const report = JSON.parse((await runCli(sandbox, ['telemetry', 'preview', '--json'])).stdout)
    assert.deepEqual([report.waiting, report.sent], [0, 2])
    assert.ok(Math.abs(Date.parse(report.lastSent) - Date.now()) < 60_000)
    assert.equal(stub.stored.length, 2)
  })

  it('leaves out what the sender drops: damaged lines, events under a deleted instance id', async () => {
    const sandbox = makeSandbox()
    await recorded(sandbox, [['hello']])
    const retiredId = '11111111-1111-4111-8111-111111111111'
    const [message] = queuedMessages(sandbox)
    writeFileSync(
      join(sandbox.queueDir, 'current.jsonl'),
      ['not json', JSON.stringify({...message, instance_id: retiredId, message_id: 'x'})].join('\n') + '\n',
      {flag: 'a'},
    )
    mkdirSync(sandbox.cacheDir, {recursive: true})
    writeFileSync(join(sandbox.cacheDir, 'deletions.json'), JSON.stringify({pending: [], retired: [retiredId]}))
    const preview = await runCli(sandbox, ['telemetry', 'preview'])
    assert.deepEqual(preview.stdout.split('\n').filter(Boolean), [JSON.stringify(message)])
    assert.match(preview.stderr, /1 event\(s\) recorded under a deleted instance id are never sent/)
    assert.match(preview.stderr, /1 damaged line\(s\) of the queue are dropped/)
  })

  it('says when telemetry is off, and is itself never recorded', async () => {
    const sandbox = makeSandbox()
    await recorded(sandbox, [['hello']])
    const off = await runCli(sandbox, ['telemetry', 'preview'], {env: {DO_NOT_TRACK: '1'}})
    assert.equal(off.stdout.split('\n').filter(Boolean).length, 1)
    assert.match(off.stderr, /Telemetry is off: DO_NOT_TRACK is set in the environment; nothing is sent while it is\./)
    assert.equal(queuedMessages(sandbox).length, 1)
  })

  it('on a fresh machine shows nothing waiting and creates nothing', async () => {
    const sandbox = makeSandbox()
    const preview = await runCli(sandbox, ['telemetry', 'preview'])
    assert.equal(preview.code, 0)
    assert.equal(preview.stdout, '')
    assert.match(preview.stderr, /No events waiting/)
    assert.equal(existsSync(sandbox.configFile), false)
  })
})
