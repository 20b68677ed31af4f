// Events the collector refuses one by one inside a 200 (`rejected: [{index, reason}]`) are not sent:
// counted as refused, and `status` says why in words. Against the real collector, on a SQLite file.
import assert from 'node:assert/strict'
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {initialise, runCli} from '../helpers/cli.js'
import {type Collector, startCollector} from '../helpers/process.js'
import {cleanSandboxes, makeSandbox, type Sandbox} from '../helpers/sandbox.js'

const TOKEN = 'refused-admin-token-0123456789abcdef'
const DAY_MS = 24 * 3_600_000

/** Queues one message per timestamp, as the hooks would write them. */
function queue(sandbox: Sandbox, timestamps: Date[]): void {
  const instanceId = readFileSync(sandbox.configFile, 'utf8').match(/instance_id: (\S+)/)![1]
  const lines = timestamps.map((timestamp, i) =>
    JSON.stringify({
      instance_id: instanceId,
      license_id: '00000000-0000-0000-0000-000000000000',
      message_id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      message_version: 1,
      origin: 'command-line',
      payload: {anonymousId: instanceId, event: 'command', properties: {command: 'hello'}},
      payload_version: 1,
      product: 'mycli',
      product_version: '1.2.3',
      session_id: '00000000-0000-4000-8000-000000000000',
      timestamp: timestamp.toISOString(),
      type: 'track',
    }),
  )
  mkdirSync(sandbox.queueDir, {recursive: true})
  writeFileSync(join(sandbox.queueDir, 'current.jsonl'), lines.join('\n') + '\n')
}

describe('events refused inside a 200 answer', () => {
  const sandbox = makeSandbox()
  let collector: Collector | undefined

  before(async () => {
    collector = await startCollector(join(sandbox.root, 'telemetry.db'), {COLLECTOR_ADMIN_TOKEN: TOKEN})
    sandbox.env.CHEF_TELEMETRY_ENDPOINT = collector.url
  })

  after(async () => {
    await collector?.stop()
    cleanSandboxes()
  })

  it('are not counted as sent; flush and status say how many and why, in words', async () => {
    await initialise(sandbox)
    // A skewed clock: 3 of 6 events dated 3 days ahead.
    const now = Date.now()
    queue(
      sandbox,
      [0, 1, 2, 3, 4, 5].map((i) => new Date(i % 2 === 0 ? now : now + 3 * DAY_MS)),
    )
    const flush = await runCli(sandbox, ['telemetry', 'flush'])
    assert.equal(flush.code, 0, flush.stderr)
    assert.match(flush.stdout, /^Sent 3 event\(s\) in 1 request\(s\)/)
    assert.match(
      flush.stdout,
      /The collector refused 3 event\(s\), which were dropped: the clock of this machine is 3 days ahead \(the events are dated in the future\) \(3\)\./,
    )
    const status = await runCli(sandbox, ['telemetry', 'status'])
    assert.match(status.stdout, /0 event\(s\); 0 dropped .*, 3 refused by the collector/)
    assert.match(status.stdout, /Refused: +3 event\(s\): the clock of this machine is 3 days ahead/)
    const json = JSON.parse((await runCli(sandbox, ['telemetry', 'status', '--json'])).stdout)
    assert.equal(json.rejected, 3)
    assert.deepEqual(json.rejectedReasons, [
      {count: 3, reason: 'the clock of this machine is 3 days ahead (the events are dated in the future)'},
    ])
    // The store holds the 3 it accepted, as the plugin now says.
    const report = await collector!.cli(['report', '--by', 'product', '--json'])
    assert.equal(JSON.parse(report.stdout).rows[0].events, 3)
  })

  it('add up over deliveries, per reason', async () => {
    const now = Date.now()
    queue(sandbox, [new Date(now + 2 * DAY_MS), new Date(now + 2 * DAY_MS)])
    const flush = JSON.parse((await runCli(sandbox, ['telemetry', 'flush', '--json'])).stdout)
    assert.deepEqual([flush.sent, flush.rejected], [0, 2])
    const json = JSON.parse((await runCli(sandbox, ['telemetry', 'status', '--json'])).stdout)
    assert.equal(json.rejected, 5)
    assert.deepEqual(
      json.rejectedReasons.map((r: {count: number}) => r.count),
      [3, 2],
    )
  })
})
