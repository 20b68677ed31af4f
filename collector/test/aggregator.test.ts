/**
 * The background aggregator through HTTP: an event acknowledged by POST /events shows in the
 * aggregates within 5 s without anyone asking for a report (reports would catch up themselves).
 * SQLite: a read-only store in this process (which never aggregates) reads the server's file;
 * PostgreSQL: the aggregator's watermark reaches the event's id.
 */
import assert from 'node:assert/strict'
import {randomUUID} from 'node:crypto'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'
import pg from 'pg'

import {startServer} from '../src/server.js'
import {openStore} from '../src/store/open.js'
import {postJson} from './support/http.js'
import {batch} from './support/messages.js'
import {type PgCluster, skipPostgres, startPostgres} from './support/postgres.js'

const dir = mkdtempSync(join(tmpdir(), 'collector-aggregator-'))
let cluster: PgCluster | undefined
after(() => {
  cluster?.stop()
  rmSync(dir, {force: true, recursive: true})
})

const LAG_BUDGET_MS = 5000

/** Poll `check` until it holds; the time it took. */
async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const start = performance.now()
  while (performance.now() - start < ms) {
    if (await check()) return performance.now() - start
    await sleep(50)
  }

  assert.fail(`not aggregated within ${ms} ms`)
}

describe('background aggregator', () => {
  it('SQLite: an acknowledged event is in the aggregates within 5 s', async () => {
    const path = join(dir, 'lag.db')
    const store = await openStore(path)
    const server = await startServer({port: 0, store})
    const reader = await openStore(path, {sqlite: {readonly: true}})
    try {
      const product = `lag-${randomUUID().slice(0, 8)}`
      const res = await postJson(`${server.url}/events`, batch(3, {product}))
      assert.equal(res.json.accepted, 3)
      // The test can fail: the read-only reader does not aggregate, so the event is not there yet.
      assert.deepEqual(await reader.report({by: 'product', limit: 10, product}), [])
      await within(LAG_BUDGET_MS, async () => {
        const rows = await reader.report({by: 'product', limit: 10, product})
        return rows.length === 1 && rows[0].events === 3
      })
    } finally {
      await reader.close()
      await server.close()
      await store.close()
    }
  })

  it('PostgreSQL: an acknowledged event is in the aggregates within 5 s', {skip: skipPostgres}, async () => {
    cluster = await startPostgres()
    const url = await cluster.createDatabase()
    const store = await openStore(url)
    const server = await startServer({port: 0, store})
    const client = new pg.Client({connectionString: url})
    await client.connect()
    try {
      const res = await postJson(`${server.url}/events`, batch(3))
      assert.equal(res.json.accepted, 3)
      const {rows} = await client.query<{max: string}>('SELECT MAX(id)::text AS max FROM events')
      await within(LAG_BUDGET_MS, async () => {
        const state = await client.query<{watermark: string}>('SELECT watermark::text FROM aggregator')
        return BigInt(state.rows[0].watermark) >= BigInt(rows[0].max)
      })
      const {rows: total} = await client.query<{events: number}>(
        "SELECT SUM(events)::int AS events FROM agg WHERE level = 0 AND period < 100000 AND dim = (SELECT id FROM strings WHERE value = '*')",
      )
      assert.equal(total[0].events, 3)
    } finally {
      await client.end()
      await server.close()
      await store.close()
    }
  })
})
