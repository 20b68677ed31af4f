// The whole path through real processes: the fixture CLI records, its sender delivers to a real
// collector (a child process on a SQLite file), the collector reports; deletion and the tombstone.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {initialise, runCli} from '../helpers/cli.js'
import {type Collector, startCollector} from '../helpers/process.js'
import {cleanSandboxes, makeSandbox} from '../helpers/sandbox.js'

const TOKEN = 'e2e-admin-token-0123456789abcdef0123'

describe('plugin -> collector -> report', () => {
  const sandbox = makeSandbox()
  const store = join(sandbox.root, 'telemetry.db')
  let collector: Collector | undefined
  let url = ''

  before(async () => {
    collector = await startCollector(store, {COLLECTOR_ADMIN_TOKEN: TOKEN})
    url = collector.url
    sandbox.env.CHEF_TELEMETRY_ENDPOINT = url
  })

  after(async () => {
    await collector?.stop()
    cleanSandboxes()
  })

  const report = async (by: string) => {
    const result = await collector!.cli(['report', '--by', by, '--json'])
    assert.equal(result.code, 0, result.stderr)
    const {rows} = JSON.parse(result.stdout) as {rows: Array<{events: number; instances: number; key: null | string}>}
    // The columns this test checks (rows also carry failures and duration percentiles).
    return {rows: rows.map(({events, instances, key}) => ({events, instances, key}))}
  }

  it('delivers every recorded command and custom event, and reports the most used commands', async () => {
    await initialise(sandbox)
    const commands = [
      ['deploy', 'web', '--force'],
      ['deploy', 'api', '--password', 'CANARY-e2e-1c9d'],
      ['deploy', 'web'],
      ['hello'],
      ['hello'],
      ['release'],
      ['fail'],
      ['deplyo'],
    ]
    for (const args of commands) await runCli(sandbox, args)
    const flushed = JSON.parse((await runCli(sandbox, ['telemetry', 'flush', '--json'])).stdout)
    assert.equal(flushed.waiting, 0)
    const {rows} = await report('command')
    const count = (key: null | string) => rows.find((row) => row.key === key)?.events
    // The unknown `deplyo` is counted without its name (command null; its suggestion is deploy), as is
    // the custom event, which has no command.
    assert.deepEqual(
      [count('deploy'), count('hello'), count('release'), count('fail'), count(null), count('deplyo')],
      [3, 2, 1, 1, 2, undefined],
    )
    assert.ok(rows.every((row) => row.instances <= 1))
    assert.equal(rows[0].key, 'deploy', 'most used first')
    const events = (await report('product')).rows
    assert.deepEqual(events, [{events: 9, instances: 1, key: 'mycli'}], '8 commands and 1 custom event')
    assert.doesNotMatch(readFileSync(store).toString('latin1'), /CANARY/)
  })

  it('refuses the report route without the admin token', async () => {
    const anonymous = await fetch(`${url}/report?by=command`)
    assert.equal(anonymous.status, 401)
    const admin = await fetch(`${url}/report?by=command`, {headers: {authorization: `Bearer ${TOKEN}`}})
    assert.equal(admin.status, 200)
  })

  it('telemetry delete removes the instance from the collector; its later events are suppressed', async () => {
    const oldId = readFileSync(sandbox.configFile, 'utf8').match(/instance_id: (\S+)/)![1]
    const result = await runCli(sandbox, ['telemetry', 'delete', '--yes', '--json'])
    const deletion = JSON.parse(result.stdout)
    assert.deepEqual([deletion.acknowledged, deletion.oldInstanceId], [true, oldId])
    assert.deepEqual((await report('product')).rows, [], 'no row of the instance is left')
    // The receipt: the collector's own record, readable at the address given, without the instance id.
    assert.equal(deletion.eventsDeleted, 9)
    assert.equal(deletion.checkUrl, `${url}/deletions/${deletion.deletionId}`)
    const record = (await (await fetch(deletion.checkUrl)).json()) as Record<string, unknown>
    assert.deepEqual([record.deletion_id, record.events_deleted], [deletion.deletionId, 9])
    assert.ok(!JSON.stringify(record).includes(oldId))
    assert.match(
      (await runCli(sandbox, ['telemetry', 'delete', '--yes'])).stdout,
      /Receipt: deletion id [\da-f-]{36}; check it at any time: GET http:\/\/127\.0\.0\.1:\d+\/deletions\//,
    )
    // A late event under the old id (say, from another machine's clone of the config) is dropped.
    const late = await fetch(`${url}/events`, {
      body: JSON.stringify({
        instance_id: oldId,
        license_id: '00000000-0000-0000-0000-000000000000',
        message_version: 1,
        origin: 'command-line',
        payload: {anonymousId: oldId, event: 'command', properties: {command: 'hello'}},
        payload_version: 1,
        product: 'mycli',
        timestamp: new Date().toISOString(),
        type: 'track',
      }),
      headers: {'content-type': 'application/json'},
      method: 'POST',
    })
    assert.equal(late.status, 200)
    assert.equal(((await late.json()) as {suppressed: number}).suppressed, 1)
    // The machine goes on under its new id.
    await runCli(sandbox, ['hello'])
    await runCli(sandbox, ['telemetry', 'flush'])
    assert.deepEqual((await report('product')).rows, [{events: 1, instances: 1, key: 'mycli'}])
  })
})
