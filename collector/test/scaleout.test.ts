/** Scale-out: two collector processes on one PostgreSQL, the same batches sent to both at once. */
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {gzipSync} from 'node:zlib'

import {openStore} from '../src/store/open.js'
import {type CollectorProcess, startCollector} from './support/child.js'
import {send} from './support/http.js'
import {batch} from './support/messages.js'
import {type PgCluster, skipPostgres, startPostgres} from './support/postgres.js'

const TOKEN = 'scale-out-admin-token-0123456789abcdef'
const dir = mkdtempSync(join(tmpdir(), 'collector-scaleout-'))

describe('two collectors on one PostgreSQL', {skip: skipPostgres ? 'COLLECTOR_SKIP_PG=1' : false}, () => {
  let cluster: PgCluster | undefined
  const collectors: CollectorProcess[] = []

  before(async () => {
    cluster = await startPostgres()
  })

  after(async () => {
    for (const c of collectors) {
      c.child.kill('SIGTERM')
      await c.exited
    }

    cluster?.stop()
    rmSync(dir, {force: true, recursive: true})
  })

  it('store each message exactly once, and each answers every report the same, deletions included', async () => {
    const url = await cluster!.createDatabase()
    // Both start (and migrate the fresh database) at the same time, each with its own engine file.
    const env = {COLLECTOR_ADMIN_TOKEN: TOKEN}
    const started = await Promise.allSettled(
      ['a', 'b'].map((name) =>
        startCollector(['--store', url, '--analytics', join(dir, `${name}.duckdb`), '--min-instances', '1'], env),
      ),
    )
    // Every collector that did start is stopped by after(), even when the other failed to: a child left
    // running would keep this test file from ever ending.
    for (const s of started) if (s.status === 'fulfilled') collectors.push(s.value)
    for (const s of started) if (s.status === 'rejected') throw s.reason
    const batches = Array.from({length: 40}, () => batch(100))
    // A few messages appear in two different batches too.
    for (let i = 1; i < batches.length; i++) batches[i][0] = batches[i - 1][1]
    const unique = new Set(batches.flat().map((m) => m.message_id)).size

    const totals = {accepted: 0, duplicates: 0, suppressed: 0}
    const post = async (target: CollectorProcess, body: Buffer) => {
      const res = await send(`${target.url}/events`, {body, headers: {'content-encoding': 'gzip'}})
      assert.equal(res.status, 200, res.text)
      totals.accepted += res.json.accepted
      totals.duplicates += res.json.duplicates
      totals.suppressed += res.json.suppressed
    }

    // Five concurrent streams; each batch goes to both collectors at the same moment.
    const queue = batches.map((b) => gzipSync(JSON.stringify(b)))
    await Promise.all(
      Array.from({length: 5}, async () => {
        for (let body = queue.shift(); body; body = queue.shift()) {
          await Promise.all([post(collectors[0], body), post(collectors[1], body)])
        }
      }),
    )

    const sent = batches.length * 100 * 2
    assert.equal(totals.accepted, unique)
    assert.equal(totals.accepted + totals.duplicates, sent)
    assert.equal(totals.suppressed, 0)
    const store = await openStore(url)
    try {
      assert.equal(await store.countEvents(), unique)
    } finally {
      await store.close()
    }

    // Right after the last acknowledged batch, each collector's reports hold every event.
    const paths = [
      '/report?by=command&limit=1000',
      '/report?by=day&limit=1000',
      '/report/active',
      '/report/sessions?limit=1000',
    ]
    const reports = async (target: CollectorProcess) =>
      Promise.all(
        paths.map(
          async (path) => (await send(`${target.url}${path}`, {headers: {authorization: `Bearer ${TOKEN}`}})).json,
        ),
      )
    const [a, b] = await Promise.all(collectors.map((c) => reports(c)))
    assert.deepEqual(a, b)
    const byCommand = a[0].rows as {events: number; instances: number}[]
    assert.equal(
      byCommand.reduce((n, r) => n + r.events, 0),
      unique,
    )
    assert.equal(byCommand[0].instances, new Set(batches.flat().map((m) => m.instance_id)).size)
    // A deletion through one collector: the other's reports exclude the instance at once.
    const instance = batches[0][5].instance_id
    assert.equal((await send(`${collectors[0].url}/instances/${instance}`, {method: 'DELETE'})).status, 202)
    const [after] = await reports(collectors[1])
    assert.equal(
      (after.rows as {events: number}[]).reduce((n, r) => n + r.events, 0),
      unique -
        batches
          .flat()
          .filter(
            (m, i, all) => m.instance_id === instance && all.findIndex((x) => x.message_id === m.message_id) === i,
          ).length,
    )
  })
})
