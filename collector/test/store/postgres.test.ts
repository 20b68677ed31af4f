import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'
import pg from 'pg'

import type {Store} from '../../src/store/store.js'

import {prepareMessage} from '../../src/store/message.js'
import {openStore} from '../../src/store/open.js'
import {fleet} from '../support/fleet.js'
import {batch} from '../support/messages.js'
import {type PgCluster, skipPostgres, startPostgres} from '../support/postgres.js'
import {assertSame, everyReport, rollupSuite} from './rollup-suite.js'
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
    const b = await openStore(shared, {propertyCap: 3})
    const alone = await openStore(await cluster!.createDatabase(), {propertyCap: 3})
    try {
      for (const batch of batches.slice(0, -1)) await a.insert(batch)
      await a.aggregate()
      await a.close()
      // B folds the last batch into a day that A's cookbooks already rank.
      await b.insert(batches.at(-1)!)
      await b.aggregate()
      for (const batch of batches) await alone.insert(batch)
      assertSame(await everyReport(b), await everyReport(alone))
    } finally {
      await Promise.all([b.close(), alone.close()])
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
