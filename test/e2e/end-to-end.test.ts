// The whole path through real processes: the fixture CLI records, its sender delivers to a real
// collector (a child process on a SQLite file), the collector reports; deletion and the tombstone.
import assert from 'node:assert/strict'
import {spawn, spawnSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {createInterface} from 'node:readline'
import {after, before, describe, it} from 'node:test'
import {fileURLToPath} from 'node:url'

import {initialise, runCli} from '../helpers/cli.js'
import {cleanSandboxes, makeSandbox} from '../helpers/sandbox.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const COLLECTOR = join(root, 'collector', 'bin', 'telemetry-collector.js')
const TOKEN = 'e2e-admin-token'

describe('plugin -> collector -> report', () => {
  const sandbox = makeSandbox()
  const store = join(sandbox.root, 'telemetry.db')
  let collector: ReturnType<typeof spawn>
  let url = ''

  before(async () => {
    collector = spawn(process.execPath, [COLLECTOR, 'serve', '--port', '0', '--store', store, '--log-level', 'warn'], {
      env: {...process.env, COLLECTOR_ADMIN_TOKEN: TOKEN},
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    url = await new Promise((resolve, reject) => {
      collector.once('exit', (code) => reject(new Error(`collector exited ${code}`)))
      createInterface({input: collector.stdout!}).on('line', (line) => {
        const match = /listening on (\S+)/.exec(line)
        if (match) resolve(match[1])
      })
    })
    sandbox.env.CHEF_TELEMETRY_ENDPOINT = url
  })

  after(() => {
    collector?.kill('SIGTERM')
    cleanSandboxes()
  })

  const report = (by: string) => {
    const result = spawnSync(process.execPath, [COLLECTOR, 'report', '--store', store, '--by', by, '--json'], {
      encoding: 'utf8',
    })
    assert.equal(result.status, 0, result.stderr)
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
    const {rows} = report('command')
    const count = (key: string) => rows.find((row) => row.key === key)?.events
    assert.deepEqual(
      [count('deploy'), count('hello'), count('release'), count('fail'), count('deplyo')],
      [3, 2, 1, 1, 1],
    )
    assert.ok(rows.every((row) => row.instances <= 1))
    assert.equal(rows[0].key, 'deploy', 'most used first')
    const events = report('product').rows
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
    assert.deepEqual(report('product').rows, [], 'no row of the instance is left')
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
    assert.deepEqual(report('product').rows, [{events: 1, instances: 1, key: 'mycli'}])
  })
})
