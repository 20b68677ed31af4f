import assert from 'node:assert/strict'
import {randomUUID} from 'node:crypto'
import {after, before, describe, it} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'
import pg from 'pg'

import type {Store} from '../../src/store/store.js'

import {prepareMessage} from '../../src/store/message.js'
import {openStore} from '../../src/store/open.js'
import {openAnalytics} from '../support/analytics.js'
import {fleet} from '../support/fleet.js'
import {batch} from '../support/messages.js'
import {type PgCluster, skipPostgres, startPostgres} from '../support/postgres.js'
import {storeSuite} from './store-suite.js'

let cluster: PgCluster | undefined
let url = ''

describe('PostgreSQL', {skip: skipPostgres ? 'COLLECTOR_SKIP_PG=1' : false}, () => {
  before(async () => {
    cluster = await startPostgres()
    url = await cluster.createDatabase()
  })

  after(() => cluster?.stop())

  storeSuite('PostgreSQL', () => openStore(url), {reopen: () => openStore(url)})

  it('converts events a schema-1 store kept whole (events_v1) into the compact form on open', async () => {
    const database = await cluster!.createDatabase()
    const fresh = await openStore(database)
    await fresh.close()
    const messages = batch(3)
    const client = new pg.Client(database)
    await client.connect()
    // What schema 1 left, as migration 2 renamed it (the conversion reads message_id and message).
    await client.query('CREATE TABLE events_v1 (message_id TEXT PRIMARY KEY, message JSONB NOT NULL)')
    for (const m of messages) {
      await client.query('INSERT INTO events_v1 VALUES ($1, $2)', [m.message_id, JSON.stringify(m)])
    }

    const store = await openStore(database)
    try {
      assert.equal(await store.countEvents(), 3)
      for (const m of messages) assert.deepEqual(await store.getMessage(m.message_id!), m)
      const left = await client.query("SELECT to_regclass('events_v1') IS NOT NULL AS present")
      assert.equal(left.rows[0].present, false)
    } finally {
      await store.close()
      await client.end()
    }
  })

  it('gives a reader every event in id order, none skipped, while transactions commit out of order', async () => {
    const store = await openStore(await cluster!.createDatabase())
    const seen = new Set<string>()
    let last = 0
    let done = false
    const read = async () => {
      // eslint-disable-next-line no-unmodified-loop-condition -- set once the writers are done
      while (!done) {
        const facts = await store.factsAfter(last, 500)
        for (const f of facts) {
          assert.ok(f.id > last, 'in id order')
          last = f.id
          seen.add(Buffer.from(f.messageKey).toString('hex'))
        }

        if (facts.length === 0) await sleep(1)
      }
    }

    try {
      const reader = read()
      const sent: string[] = []
      // Eight writers at once: ids are taken in one order and committed in another.
      await Promise.all(
        Array.from({length: 8}, async (_, w) => {
          for (const messages of fleet({days: 2, instances: 40, seed: 30 + w})) {
            await store.insert(messages.map((m) => prepareMessage(m)))
            sent.push(...messages.map((m) => m.message_id!.replaceAll('-', '')))
          }
        }),
      )
      const upTo = await store.lastEventId()
      // eslint-disable-next-line no-unmodified-loop-condition -- the reader moves `last` on
      while (last < upTo) await sleep(5)
      done = true
      await reader
      assert.equal(seen.size, sent.length)
      for (const id of sent) assert.ok(seen.has(id), id)
    } finally {
      done = true
      await store.close()
    }
  })

  it('logs deletions and purges in order for every engine, and a second collector applies them', async () => {
    const shared = await cluster!.createDatabase()
    const a = await openStore(shared)
    const b = await openStore(shared)
    const engine = await openAnalytics(b)
    try {
      const x = '5d6e0f2a-1b3c-4d5e-8f90-a1b2c3d4e5f6'
      await a.insert([...batch(3, {instance_id: x}), ...batch(2)].map((m) => prepareMessage(m)))
      assert.equal((await engine.report({by: 'product', limit: 5}))[0].events, 5)
      // Deleted through A: B's engine excludes the instance at its next report.
      await a.deleteInstance(x)
      assert.equal((await engine.report({by: 'product', limit: 5}))[0].events, 2)
      await a.purge(new Date(Date.now() + 60_000))
      assert.deepEqual(await engine.report({by: 'product', limit: 5}), [])
      const changes = await b.changesAfter(0)
      assert.deepEqual(
        changes.map((c) => [c.instance !== undefined, c.purgedBefore !== undefined]),
        [
          [true, false],
          [false, true],
        ],
      )
      assert.ok(changes[0].seq < changes[1].seq, 'in order')
    } finally {
      await engine.dispose()
      await Promise.all([a.close(), b.close()])
    }
  })

  it('stores the first batches of a new instance sent at once, all under one instance', async () => {
    const store = await openStore(await cluster!.createDatabase())
    try {
      for (let round = 0; round < 5; round++) {
        const instance = randomUUID()

        const results = await Promise.all(
          Array.from({length: 8}, () => store.insert(batch(5, {instance_id: instance}).map((m) => prepareMessage(m)))),
        )
        assert.deepEqual(
          results.map((r) => r.accepted),
          Array.from({length: 8}, () => 5),
        )
      }

      const engine = await openAnalytics(store)
      const [row] = await engine.report({by: 'product', limit: 5})
      await engine.dispose()
      assert.deepEqual([row.events, row.instances], [200, 5])
    } finally {
      await store.close()
    }
  })

  it('numbers instances densely, however often they send', async () => {
    const dense = await cluster!.createDatabase()
    const store = await openStore(dense)
    try {
      const ids = ['8b0d6a35-52e4-4c1f-9e33-5a0e4f7f9a01', '8b0d6a35-52e4-4c1f-9e33-5a0e4f7f9a02']
      for (let i = 0; i < 30; i++) {
        await store.insert(batch(4, {instance_id: ids[i % 2]}).map((m) => prepareMessage(m)))
        if (i === 20)
          await store.insert(
            batch(2, {instance_id: '8b0d6a35-52e4-4c1f-9e33-5a0e4f7f9a03'}).map((m) => prepareMessage(m)),
          )
      }
    } finally {
      await store.close()
    }

    const client = new pg.Client(dense)
    await client.connect()
    const {rows} = await client.query<{max: number; n: number}>(
      'SELECT MAX(id) AS max, COUNT(*)::int AS n FROM instances',
    )
    await client.end()
    assert.deepEqual(rows[0], {max: 3, n: 3})
  })

  it('migrates safely when several processes open a fresh database at once', async () => {
    const fresh = await cluster!.createDatabase()
    const stores: Store[] = await Promise.all(Array.from({length: 6}, () => openStore(fresh)))
    try {
      for (const s of stores) assert.equal(await s.countEvents(), 0)
    } finally {
      await Promise.all(stores.map((s) => s.close()))
    }
  })
})
