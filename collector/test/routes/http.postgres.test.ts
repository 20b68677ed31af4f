import {after, before, describe} from 'node:test';

import {openStore} from '../../src/store/open.js';
import {type PgCluster, skipPostgres, startPostgres} from '../support/postgres.js';
import {httpSuite} from './http-suite.js';

let cluster: PgCluster | undefined;

describe('PostgreSQL', {skip: skipPostgres ? 'COLLECTOR_SKIP_PG=1' : false}, () => {
  before(async () => {
    cluster = await startPostgres();
  });
  after(() => cluster?.stop());
  httpSuite('PostgreSQL', async () => openStore(await cluster!.createDatabase()));
});
