import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'

import {openStore} from '../../src/store/open.js'
import {postJson, send} from '../support/http.js'
import {commandMessage} from '../support/messages.js'
import {type PgCluster, skipPostgres, startPostgres} from '../support/postgres.js'
import {serve} from '../support/server.js'
import {hardeningSuite} from './hardening-suite.js'
import {httpSuite} from './http-suite.js'

let cluster: PgCluster | undefined

describe('PostgreSQL', {skip: skipPostgres ? 'COLLECTOR_SKIP_PG=1' : false}, () => {
  before(async () => {
    cluster = await startPostgres()
  })

  after(() => cluster?.stop())
  httpSuite('PostgreSQL', async () => openStore(await cluster!.createDatabase()))
  hardeningSuite('PostgreSQL', async () => openStore(await cluster!.createDatabase()))

  // Runs last: it stops the cluster.
  it('answers 503 while the database is down, and stays up', async () => {
    const store = await openStore(await cluster!.createDatabase())
    const server = await serve({logger: false, port: 0, store})
    try {
      assert.equal((await postJson(`${server.url}/events`, commandMessage())).status, 200)
      cluster!.stop()
      const down = await postJson(`${server.url}/events`, commandMessage())
      assert.equal(down.status, 503)
      assert.match(down.json.error, /retry later/)
      assert.equal((await send(`${server.url}/healthz`)).status, 503)
      assert.equal(
        (await send(`${server.url}/instances/${commandMessage().instance_id}`, {method: 'DELETE'})).status,
        503,
      )
    } finally {
      await server.close()
      await store.close().catch(() => {})
    }
  })
})
