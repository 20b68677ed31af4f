import assert from 'node:assert/strict'
import {existsSync, mkdirSync, readFileSync, readlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import {flat, initialise, runCli} from '../helpers/cli.js'
import {allFiles, cleanSandboxes, makeSandbox, queuedMessages, type Sandbox, senderPids} from '../helpers/sandbox.js'
import {StubCollector} from '../helpers/stub-collector.js'

const stubs: StubCollector[] = []
after(async () => {
  for (const stub of stubs) await stub.close()
  cleanSandboxes()
})

async function stub(): Promise<StubCollector> {
  const s = await new StubCollector().start()
  stubs.push(s)
  return s
}

const instanceIdOf = (sandbox: Sandbox) => readFileSync(sandbox.configFile, 'utf8').match(/instance_id: (\S+)/)![1]
const stats = (sandbox: Sandbox) => JSON.parse(readFileSync(join(sandbox.cacheDir, 'stats.json'), 'utf8'))

/** Queues `n` messages as the hooks would, without spending a CLI run on each. */
function fillQueue(sandbox: Sandbox, n: number): void {
  const instanceId = instanceIdOf(sandbox)
  const lines = Array.from({length: n}, (_, i) =>
    JSON.stringify({
      instance_id: instanceId,
      license_id: '00000000-0000-0000-0000-000000000000',
      message_id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      message_version: 1,
      origin: 'command-line',
      payload: {anonymousId: instanceId, event: 'command', properties: {command: 'hello', i}},
      payload_version: 1,
      product: 'mycli',
      product_version: '1.2.3',
      session_id: '00000000-0000-4000-8000-000000000000',
      timestamp: new Date().toISOString(),
      type: 'track',
    }),
  )
  mkdirSync(sandbox.queueDir, {recursive: true})
  writeFileSync(join(sandbox.queueDir, 'current.jsonl'), lines.join('\n') + '\n', {flag: 'a'})
}

/** A sandbox with a config, pointing at `endpoint`, with a sender attempt just made (so none starts by itself). */
async function prepared(endpoint: string): Promise<Sandbox> {
  const sandbox = makeSandbox()
  sandbox.env.CHEF_TELEMETRY_ENDPOINT = endpoint
  await initialise(sandbox)
  return sandbox
}

const lockOwnerOf = (sandbox: Sandbox) => Number(readFileSync(join(sandbox.cacheDir, 'sender.lock'), 'utf8'))

const flush = async (sandbox: Sandbox) => {
  const result = await runCli(sandbox, ['telemetry', 'flush', '--json'])
  return {...result, report: JSON.parse(result.stdout)}
}

describe('delivery', () => {
  it('sends many events in batches of at most 100, each once, and empties the queue', async () => {
    const server = await stub()
    const sandbox = await prepared(server.url)
    fillQueue(sandbox, 250)
    const {code, report} = await flush(sandbox)
    assert.equal(code, 0)
    assert.deepEqual([report.sent, report.batches, report.waiting], [250, 3, 0])
    assert.deepEqual(
      server.received.filter((r) => r.method === 'POST').map((r) => r.count),
      [100, 100, 50],
    )
    assert.equal(server.ids.size, 250)
    assert.ok([...server.ids.values()].every((n) => n === 1))
    assert.ok(stats(sandbox).lastSent)
  })

  it('keeps everything while the collector is down, and delivers each event once when it is back', async () => {
    const server = await stub()
    const sandbox = await prepared(server.url)
    await server.close()
    fillQueue(sandbox, 30)
    await runCli(sandbox, ['hello'])
    const human = await runCli(sandbox, ['telemetry', 'flush'])
    assert.equal(human.code, 1)
    assert.match(human.stdout, /^Nothing sent: 127\.0\.0\.1:\d+ refused the connection \(nothing listens there\)\./)
    assert.match(
      flat(human.stderr),
      /Could not deliver: 127\.0\.0\.1:\d+ refused the connection \(nothing listens there\)\. 31 event\(s\) are kept/,
    )
    const down = await flush(sandbox)
    assert.deepEqual([down.code, down.report.error], [1, 'ECONNREFUSED'])
    assert.equal(down.report.waiting, 31)
    const status = JSON.parse((await runCli(sandbox, ['telemetry', 'status', '--json'])).stdout)
    assert.ok(Date.parse(status.backoffUntil) > Date.now(), 'status shows the backoff')
    await server.start()
    const up = await flush(sandbox)
    assert.equal(up.code, 0, up.stderr)
    assert.equal(up.report.sent, 31)
    assert.equal(server.ids.size, 31)
    assert.ok([...server.ids.values()].every((n) => n === 1))
  })

  it('retries 500 and 429 later, honouring Retry-After, and loses nothing', async () => {
    const server = await stub()
    const sandbox = await prepared(server.url)
    fillQueue(sandbox, 5)
    server.mode = {kind: 'status', status: 500}
    const failed = await flush(sandbox)
    assert.deepEqual([failed.code, failed.report.error, failed.report.waiting], [1, 'HTTP 500', 5])
    server.mode = {kind: 'status', retryAfter: '3600', status: 429}
    const limited = await flush(sandbox)
    assert.equal(limited.report.error, 'HTTP 429')
    assert.ok(Date.parse(limited.report.backoffUntil) >= Date.now() + 3_590_000, limited.report.backoffUntil)
    server.mode = {kind: 'ok'}
    const ok = await flush(sandbox)
    assert.deepEqual([ok.report.sent, server.ids.size], [5, 5])
  })

  it('keeps the events when the endpoint redirects (a misconfiguration, not a refusal)', async () => {
    const server = await stub()
    const sandbox = await prepared(server.url)
    fillQueue(sandbox, 4)
    server.mode = {kind: 'status', status: 302, times: 1}
    const redirected = await flush(sandbox)
    assert.deepEqual([redirected.code, redirected.report.error, redirected.report.waiting], [1, 'HTTP 302', 4])
    const ok = await flush(sandbox)
    assert.deepEqual([ok.report.sent, server.ids.size], [4, 4])
  })

  it('drops a batch the collector refuses with 400, counts it, and sends the rest', async () => {
    const server = await stub()
    const sandbox = await prepared(server.url)
    fillQueue(sandbox, 150)
    server.mode = {kind: 'status', status: 400, times: 1}
    const {report} = await flush(sandbox)
    assert.deepEqual([report.rejected, report.sent, report.waiting], [100, 50, 0])
    const status = JSON.parse((await runCli(sandbox, ['telemetry', 'status', '--json'])).stdout)
    assert.equal(status.rejected, 100)
  })

  it('gives up on a collector that never answers, keeping the events', async () => {
    const server = await stub()
    const sandbox = await prepared(server.url)
    fillQueue(sandbox, 3)
    server.mode = {kind: 'hang'}
    const {code, report} = await flush(sandbox)
    assert.equal(code, 1)
    assert.match(report.error, /TimeoutError|ETIMEDOUT/)
    assert.equal(report.waiting, 3)
  })
})

describe('the background sender', () => {
  it('delivers what commands record, without them waiting', async () => {
    const server = await stub()
    const sandbox = makeSandbox({backgroundSender: true})
    sandbox.env.CHEF_TELEMETRY_ENDPOINT = server.url
    await initialise(sandbox)
    await runCli(sandbox, ['deploy', 'app', '--force'])
    await server.waitFor(() => server.ids.size === 1)
    assert.equal(server.stored[0].payload.properties.command, 'deploy')
    // It lets go of its lock when done (else this times out).
    await server.waitFor(() => !existsSync(join(sandbox.cacheDir, 'sender.lock')))
    assert.deepEqual(queuedMessages(sandbox), [])
  })

  it('does not slow a command down when the collector hangs', async () => {
    const server = await stub()
    server.mode = {kind: 'hang'}
    const sandbox = makeSandbox({backgroundSender: true})
    sandbox.env.CHEF_TELEMETRY_ENDPOINT = server.url
    await initialise(sandbox)
    const withSender = await runCli(sandbox, ['hello'])
    assert.equal(withSender.code, 0)
    // The request is never answered (the sender gives up after 10 s). The command has exited, and the
    // sender it started is still waiting on it: the command did not wait for the sender.
    await server.waitFor(() => server.received.length > 0)
    const sender = senderPids(sandbox)
    assert.equal(sender.length, 1, 'one sender runs in the background')
    assert.equal(lockOwnerOf(sandbox), sender[0], 'and it holds the lock')
  })

  it('is started once by 20 commands finishing at once', async () => {
    const server = await stub()
    server.mode = {kind: 'hang'}
    const sandbox = makeSandbox({backgroundSender: true})
    sandbox.env.CHEF_TELEMETRY_ENDPOINT = server.url
    await initialise(sandbox)
    await Promise.all(Array.from({length: 20}, () => runCli(sandbox, ['hello'])))
    // Every command has exited, so every sender they started is running (each hangs on its request).
    await server.waitFor(() => server.received.length > 0)
    assert.equal(senderPids(sandbox).length, 1)
    assert.equal(server.received.length, 1)
  })

  it('shows no settings or paths on its command line (what `ps` shows)', async () => {
    const server = await stub()
    server.mode = {kind: 'hang'}
    const sandbox = makeSandbox({backgroundSender: true})
    sandbox.env.CHEF_TELEMETRY_ENDPOINT = server.url
    await initialise(sandbox)
    await runCli(sandbox, ['hello'])
    await server.waitFor(() => server.received.length > 0)
    const pid = Number(readFileSync(join(sandbox.cacheDir, 'sender.lock'), 'utf8'))
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean)
    assert.equal(argv.length, 2, argv.join(' '))
    assert.equal(argv[0], process.execPath)
    assert.match(argv[1], /[/\\]sender[/\\]main\.js$/)
    for (const secretish of [sandbox.root, server.url, String(server.port), 'mycli', 'endpoint'])
      assert.ok(!argv.join(' ').includes(secretish), `${secretish} in ${argv.join(' ')}`)
    // It works from the cache directory, where its job waits.
    assert.equal(readlinkSync(`/proc/${pid}/cwd`), sandbox.cacheDir)
  })

  it('delivers from a cache directory given as a relative path (it works from that directory)', async () => {
    const server = await stub()
    const sandbox = makeSandbox({backgroundSender: true})
    Object.assign(sandbox.env, {CHEF_TELEMETRY_CACHE_DIR: 'relative-cache', CHEF_TELEMETRY_ENDPOINT: server.url})
    await initialise(sandbox)
    await runCli(sandbox, ['hello'])
    await server.waitFor(() => server.stored.length === 1)
    assert.ok(existsSync(join(sandbox.root, 'relative-cache', 'sender.log')))
  })

  it('killed with SIGKILL mid-send loses nothing: the next sender takes over its claim', async () => {
    const server = await stub()
    server.mode = {kind: 'hang'}
    const sandbox = makeSandbox({backgroundSender: true})
    sandbox.env.CHEF_TELEMETRY_ENDPOINT = server.url
    await initialise(sandbox)
    fillQueue(sandbox, 40)
    await runCli(sandbox, ['hello'])
    await server.waitFor(() => server.received.length > 0)
    const [pid] = senderPids(sandbox)
    process.kill(pid, 'SIGKILL')
    await server.waitFor(() => !senderPids(sandbox).includes(pid))
    server.mode = {kind: 'ok'}
    const {code, report} = await flush(sandbox)
    assert.equal(code, 0, JSON.stringify(report))
    assert.equal(server.ids.size, 41)
    assert.equal(report.waiting, 0)
  })
})

describe('turning off, and deleting', () => {
  it('events waiting when telemetry is turned off are never sent', async () => {
    const server = await stub()
    const sandbox = await prepared(server.url)
    await server.close()
    fillQueue(sandbox, 10)
    await runCli(sandbox, ['telemetry', 'off'])
    await server.start()
    const off = await flush(sandbox)
    assert.equal(off.report.sent, 0)
    assert.equal(off.report.stopped, 'opt-out-file')
    assert.match(off.report.stoppedReason, /telemetry_opt_out exists \(the events waiting were deleted\)/)
    await runCli(sandbox, ['telemetry', 'on'])
    await flush(sandbox)
    assert.equal(server.ids.size, 0)
  })

  it('delete, online: the collector is asked, the queue cleared, the instance id renewed', async () => {
    const server = await stub()
    const sandbox = await prepared(server.url)
    const oldId = instanceIdOf(sandbox)
    fillQueue(sandbox, 7)
    const result = await runCli(sandbox, ['telemetry', 'delete', '--yes', '--json'])
    assert.equal(result.code, 0, result.stderr)
    const report = JSON.parse(result.stdout)
    assert.deepEqual([report.acknowledged, report.localEventsDeleted, report.oldInstanceId], [true, 7, oldId])
    assert.notEqual(report.newInstanceId, oldId)
    assert.equal(instanceIdOf(sandbox), report.newInstanceId)
    const [deletionId] = server.deletions.keys()
    assert.deepEqual(server.received, [
      {instanceId: oldId, method: 'DELETE', path: `/instances/${oldId}`},
      {method: 'GET', path: `/deletions/${deletionId}`},
    ])
    // The receipt: the collector's deletion id, its count, and where to check it.
    assert.deepEqual(
      [report.deletionId, report.eventsDeleted, report.checkUrl],
      [deletionId, 0, `${server.url}/deletions/${deletionId}`],
    )
    const text = await runCli(sandbox, ['telemetry', 'delete', '--yes'])
    assert.match(
      text.stdout,
      /Receipt: deletion id [\da-f-]{36}; check it at any time: GET http:\/\/127\.0\.0\.1:\d+\/deletions\//,
    )
    assert.match(text.stdout, /\(0 event\(s\)\)/)
    const refused = await runCli(sandbox, ['telemetry', 'delete'])
    assert.equal(refused.code, 2, 'no terminal to confirm: it asks for --yes')
    assert.match(refused.stderr, /--yes/)
  })

  it('delete, refused by the collector: said plainly, with a failing exit code', async () => {
    const server = await stub()
    server.deleteStatus = 403
    const sandbox = await prepared(server.url)
    const result = await runCli(sandbox, ['telemetry', 'delete', '--yes'])
    assert.equal(result.code, 1)
    assert.match(flat(result.stderr), /refused to delete instance/)
    assert.doesNotMatch(result.stdout, /deletes all data/)
  })

  it('delete, offline: the request waits, goes first, and nothing under the old id is sent', async () => {
    const server = await stub()
    const sandbox = await prepared(server.url)
    const oldId = instanceIdOf(sandbox)
    await runCli(sandbox, ['hello'])
    await server.close()
    const result = await runCli(sandbox, ['telemetry', 'delete', '--yes', '--json'])
    const report = JSON.parse(result.stdout)
    assert.deepEqual([report.acknowledged, report.deletionId, report.eventsDeleted], [false, null, null])
    assert.match(result.stdout, /ECONNREFUSED/)
    assert.match(JSON.parse(result.stdout).errorDescription, /^127\.0\.0\.1:\d+ refused the connection/)
    // Listed by status until delivered.
    const waiting = JSON.parse((await runCli(sandbox, ['telemetry', 'status', '--json'])).stdout)
    assert.deepEqual(
      waiting.pendingDeletions.map((p: {instanceId: string}) => p.instanceId),
      [oldId],
    )
    const waitingText = (await runCli(sandbox, ['telemetry', 'status'])).stdout
    assert.match(waitingText, /Deletions: +1 request\(s\) waiting to be delivered/)
    assert.match(waitingText, new RegExp(`all data of instance ${oldId}, asked `))
    // An event under the old id that slipped into the queue (recorded while the id changed).
    writeFileSync(
      join(sandbox.queueDir, 'current.jsonl'),
      JSON.stringify({instance_id: oldId, message_id: '00000000-0000-4000-8000-0000000000aa'}) + '\n',
      {flag: 'a'},
    )
    await runCli(sandbox, ['hello'])
    await server.start()
    const {report: flushed} = await flush(sandbox)
    // The background sender that `delete` left retrying may have delivered some of it first.
    assert.ok(flushed.deletions <= 1 && flushed.sent <= 1, JSON.stringify(flushed))
    assert.equal(server.stored.length, 1)
    assert.equal(server.received[0].method, 'DELETE')
    assert.equal(server.received[0].instanceId, oldId)
    assert.ok(server.stored.every((m) => m.instance_id !== oldId))
    assert.equal(server.stored[0].instance_id, report.newInstanceId)
    const delivered = JSON.parse((await runCli(sandbox, ['telemetry', 'status', '--json'])).stdout)
    assert.deepEqual(delivered.pendingDeletions, [])
    assert.match((await runCli(sandbox, ['telemetry', 'status'])).stdout, /Deletions: +none waiting/)
  })
})

describe('a deletion that waits while telemetry is off', () => {
  it('is retried in the background until the collector is back, without any recorded command', async () => {
    const server = await stub()
    const sandbox = await prepared(server.url)
    const oldId = instanceIdOf(sandbox)
    await runCli(sandbox, ['telemetry', 'off'])
    await server.close()
    const result = await runCli(sandbox, ['telemetry', 'delete', '--yes'])
    assert.match(result.stdout, /retried in the background/)
    await server.start()
    await server.waitFor(() => server.received.some((r) => r.method === 'DELETE'), 30_000)
    assert.deepEqual(server.received, [{instanceId: oldId, method: 'DELETE', path: `/instances/${oldId}`}])
  })
})

describe('custom events and endpoints', () => {
  it('keeps declared events and properties only', async () => {
    const sandbox = makeSandbox()
    await initialise(sandbox)
    const debug = await runCli(sandbox, ['release'], {env: {CHEF_TELEMETRY_DEBUG: '1'}})
    assert.match(debug.stderr, /dropped the event "undeclared-event"/)
    assert.match(
      debug.stderr,
      /dropped properties of "deploy-finished" not declared or not plain values: nested, secret_note/,
    )
    await runCli(sandbox, ['release', '--targets', '5'])
    const [custom, command] = queuedMessages(sandbox)
    assert.equal(custom.payload.event, 'deploy-finished')
    assert.deepEqual(custom.payload.properties, {strategy: 'rolling', target_count: 5})
    assert.equal(custom.session_id, command.session_id)
    assert.equal(command.payload.properties.command, 'release')
    for (const file of allFiles(sandbox.root)) assert.doesNotMatch(readFileSync(file, 'utf8'), /CANARY/)
  })

  it('refuses plain-http endpoints other than loopback, and says so', async () => {
    const sandbox = makeSandbox()
    sandbox.env.CHEF_TELEMETRY_ENDPOINT = 'http://collector.example.com'
    await initialise(sandbox)
    await runCli(sandbox, ['hello'])
    assert.deepEqual(queuedMessages(sandbox), [])
    const status = JSON.parse((await runCli(sandbox, ['telemetry', 'status', '--json'])).stdout)
    assert.equal(status.rule, 'no-endpoint')
    assert.match(status.reason, /only https: endpoints are allowed/)
  })
})

describe('a damaged queue directory', () => {
  const damages: Array<[string, (queue: string) => void]> = [
    ['a directory named current.jsonl', (queue) => mkdirSync(join(queue, 'current.jsonl'), {recursive: true})],
    [
      'a directory named like a segment',
      (queue) => mkdirSync(join(queue, '000000000000001-1-0.jsonl'), {recursive: true}),
    ],
    [
      'a file named sending',
      (queue) => {
        mkdirSync(queue, {recursive: true})
        writeFileSync(join(queue, 'sending'), 'not a directory')
      },
    ],
  ]
  for (const [name, damage] of damages) {
    it(`(${name}) commands record, status and flush run, and every event is delivered`, async () => {
      const server = await stub()
      const sandbox = await prepared(server.url)
      damage(sandbox.queueDir)
      for (let i = 0; i < 2; i++) assert.equal((await runCli(sandbox, ['hello'])).code, 0)
      const status = await runCli(sandbox, ['telemetry', 'status'])
      assert.equal(status.code, 0, status.stderr)
      assert.match(status.stdout, /Waiting: +2 event/)
      const flush = await runCli(sandbox, ['telemetry', 'flush'])
      assert.equal(flush.code, 0, flush.stderr)
      assert.doesNotMatch(flush.stderr, /Error|\n\s+at /, 'no stack trace')
      assert.equal(server.stored.length, 2)
    })
  }
})
