/** The analytics engine on each store of record, against the reference (analytics-suite.ts). */
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe} from 'node:test'

import {openStore} from '../../src/store/open.js'
import {type PgCluster, skipPostgres, startPostgres} from '../support/postgres.js'
import {analyticsSuite} from './analytics-suite.js'

const dir = mkdtempSync(join(tmpdir(), 'collector-analytics-'))
after(() => rmSync(dir, {force: true, recursive: true}))

analyticsSuite('SQLite', () => openStore(join(dir, 'telemetry.db')))

describe('on PostgreSQL', {skip: skipPostgres ? 'COLLECTOR_SKIP_PG=1' : false}, () => {
  let cluster: PgCluster | undefined
  let url = ''

  before(async () => {
    cluster = await startPostgres()
    url = await cluster.createDatabase()
  })

  after(() => cluster?.stop())
  analyticsSuite('PostgreSQL', () => openStore(url))
})
