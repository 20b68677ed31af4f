import assert from 'node:assert/strict'
import {randomUUID} from 'node:crypto'
import {after, before, describe, it} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'
import pg from 'pg'

import type {Store} from '../../src/store/store.js'

import {prepareMessage} from '../../src/store/message.js'
import {openStore} from '../../src/store/open.js'
import {DELAY_MS} from '../../src/store/rollup/aggregator.js'
import {fleet} from '../support/fleet.js'
import {batch, commandMessage} from '../support/messages.js'
import {type PgCluster, skipPostgres, startPostgres} from '../support/postgres.js'
import {assertSame, everyReport, rollupSuite} from './rollup-suite.js'
import {storeSuite} from './store-suite.js'

/** A custom event with a `cookbook` property. */
const cookbook = (instance: string, name: string) =>
  commandMessage({instance_id: instance, payload: {event: 'cookbook_used', properties: {cookbook: name}}})

let cluster: PgCluster | undefined
let url = ''

describe('PostgreSQL', {skip: skipPostgres ? 'COLLECTOR_SKIP_PG=1' : false}, () => {
  before(async () => {
    cluster = await startPostgres()
    url = await cluster.createDatabase()
  })

  after(() => cluster?.stop())

  storeSuite('PostgreSQL', () => openStore(url), {reopen: () => openStore(url)})
  let upgraded: string | undefined
  rollupSuite('PostgreSQL', async (options) => openStore(await cluster!.createDatabase(), options), {
    async downgrade() {
      const client = new pg.Client(upgraded)
      await client.connect()
      await client.query(
        'DROP TABLE agg_spill; ALTER TABLE aggregator DROP COLUMN property_cap; DELETE FROM schema_migrations WHERE version = 6',
      )
      await client.end()
    },
    async open(options) {
      upgraded ??= await cluster!.createDatabase()
      return openStore(upgraded, options)
    },
  })

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
      assert.equal((await store.report({by: 'event', limit: 50}))[0].events, 3)
    } finally {
      await store.close()
      await client.end()
    }
  })

  it('folds into capped days whose values another collector stored (ties are broken by their text)', async () => {
    const messages = [...fleet({days: 3, instances: 30, seed: 5})]
    // B's batch: the last one with a cookbook, so that B ranks that day's cookbooks.
    const last = messages.findLastIndex((b) => b.some((m) => m.payload.properties?.cookbook !== undefined))
    const batches = [...messages.slice(0, last), ...messages.slice(last + 1), messages[last]].map((b) =>
      b.map((m) => prepareMessage(m)),
    )
    const shared = await cluster!.createDatabase()
    // Both open before any event: B knows none of the strings A stores.
    const a = await openStore(shared, {propertyCap: 3})
    let aClosed = false
    const b = await openStore(shared, {propertyCap: 3})
    const alone = await openStore(await cluster!.createDatabase(), {propertyCap: 3})
    try {
      for (const batch of batches.slice(0, -1)) await a.insert(batch)
      await a.aggregate()
      await a.close()
      aClosed = true
      // B folds the last batch into a day that A's cookbooks already rank.
      await b.insert(batches.at(-1)!)
      await b.aggregate()
      for (const batch of batches) await alone.insert(batch)
      assertSame(await everyReport(b), await everyReport(alone))
    } finally {
      await Promise.all([aClosed ? undefined : a.close(), b.close(), alone.close()])
    }
  })

  it('answers every report on a collector that stored none of the strings another collector folded', async () => {
    // The scale-out case: A ingests and folds; B, open since before A's first event, only reports.
    const batches = [...fleet({days: 3, instances: 30, seed: 7})].map((b) => b.map((m) => prepareMessage(m)))
    const shared = await cluster!.createDatabase()
    const a = await openStore(shared)
    const b = await openStore(shared)
    try {
      // B's aggregator, poked at open, has run and found nothing: B never folds (nor loads) A's strings.
      await sleep(DELAY_MS * 2)
      for (const batch of batches) await a.insert(batch)
      await a.aggregate()
      const expected = await everyReport(a)
      assert.ok(JSON.stringify(expected).includes('"events":'), 'the reports have rows')
      assertSame(await everyReport(b), expected)
    } finally {
      await Promise.all([a.close(), b.close()])
    }
  })

  it('deletes an instance whose custom property values only another collector has seen', async () => {
    const x = '5d6e0f2a-1b3c-4d5e-8f90-a1b2c3d4e5f6'
    const others = [...batch(3), cookbook('5d6e0f2a-1b3c-4d5e-8f90-a1b2c3d4e5f7', 'apache')]
    const xs = [...batch(2, {instance_id: x}), cookbook(x, 'only-a-stored-this')]
    const shared = await cluster!.createDatabase()
    const a = await openStore(shared)
    let aClosed = false
    const b = await openStore(shared)
    const without = await openStore(await cluster!.createDatabase())
    try {
      // B knows every column's strings from its own batch, but not X's cookbook (kept in `extra`).
      await b.insert(others.map((m) => prepareMessage(m)))
      await a.insert(xs.map((m) => prepareMessage(m)))
      await a.aggregate()
      await a.close()
      aClosed = true
      assert.equal((await b.deleteInstance(x)).events_deleted, 3)
      await without.insert(others.map((m) => prepareMessage(m)))
      assertSame(await everyReport(b), await everyReport(without))
    } finally {
      await Promise.all([aClosed ? undefined : a.close(), b.close(), without.close()])
    }
  })

  it('ends a deletion while ingest outpaces folding: it folds what was stored when it began, not what follows', async () => {
    const store = await openStore(await cluster!.createDatabase())
    const x = '5d6e0f2a-1b3c-4d5e-8f90-a1b2c3d4e5f8'
    let deleted = false
    let stored = 0
    const deadline = Date.now() + 30_000
    // Three clients store batches as fast as the store takes them (faster than it folds them), until
    // the deletion has returned or 30 s have passed.
    const feed = async (seed: number) => {
      for (const messages of fleet({days: 30, instances: 3000, seed})) {
        if (deleted || Date.now() > deadline) return

        // Awaited first: `stored += await …` would read `stored` before the wait, and three feeders
        // would overwrite each other's counts.
        const {accepted} = await store.insert(messages.map((m) => prepareMessage(m)))
        stored += accepted
      }
    }

    try {
      await store.insert(batch(4, {instance_id: x}).map((m) => prepareMessage(m)))
      const feeders = [feed(11), feed(12), feed(13)]
      await sleep(1000)
      const started = Date.now()
      const record = await store.deleteInstance(x)
      const took = Date.now() - started
      deleted = true
      await Promise.all(feeders)
      assert.equal(record.events_deleted, 4)
      assert.ok(stored > 0, 'the feeders stored batches')
      assert.ok(took < 15_000, `the deletion took ${took} ms: it chased the events stored after it began`)
    } finally {
      deleted = true
      await store.close()
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

      const [row] = await store.report({by: 'product', limit: 5})
      assert.deepEqual([row.events, row.instances], [200, 5])
    } finally {
      await store.close()
    }
  })

  it('numbers instances densely, however often they send (reports OR bitmaps indexed by these numbers)', async () => {
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
