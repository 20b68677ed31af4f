import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'
import pg from 'pg'

import type {Store} from '../../src/store/store.js'

import {openStore} from '../../src/store/open.js'
import {type PgCluster, skipPostgres, startPostgres} from '../support/postgres.js'
import {rollupSuite} from './rollup-suite.js'
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
