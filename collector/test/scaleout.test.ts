/** Scale-out: two collector processes on one PostgreSQL, the same batches sent to both at once. */
import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'
import {gzipSync} from 'node:zlib'

import {openStore} from '../src/store/open.js'
import {type CollectorProcess, startCollector} from './support/child.js'
import {send} from './support/http.js'
import {batch} from './support/messages.js'
import {type PgCluster, skipPostgres, startPostgres} from './support/postgres.js'

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
  })

  it('store each message exactly once and keep the aggregates exact, without deadlocks', async () => {
    const url = await cluster!.createDatabase()
    // Both start (and migrate the fresh database) at the same time.
    const started = await Promise.allSettled([startCollector(['--store', url]), startCollector(['--store', url])])
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
      // The aggregates written concurrently by both collectors are exact: equal to a rebuild from
      // the raw events, and to the counts of what was sent.
      const reports = async () => [
        await store.report({by: 'command', limit: 1000}),
        await store.report({by: 'day', limit: 1000}),
        await store.active({period: 'day'}),
        await store.sessions({limit: 1000}),
      ]
      const live = await reports()
      const [byCommand] = live as [{events: number; instances: number}[]]
      assert.equal(
        byCommand.reduce((n, r) => n + r.events, 0),
        unique,
      )
      assert.equal(byCommand[0].instances, new Set(batches.flat().map((m) => m.instance_id)).size)
      await store.rebuild()
      assert.deepEqual(await reports(), live)
    } finally {
      await store.close()
    }
  })
})
