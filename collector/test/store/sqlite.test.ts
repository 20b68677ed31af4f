import Database from 'better-sqlite3'
import assert from 'node:assert/strict'
import {randomUUID} from 'node:crypto'
import {existsSync, mkdtempSync, readFileSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import {prepareMessage} from '../../src/store/message.js'
import {openStore} from '../../src/store/open.js'
import {daysOf, WEEK} from '../../src/store/rollup/periods.js'
import {fleet} from '../support/fleet.js'
import {batch, commandMessage} from '../support/messages.js'
import {rollupSuite} from './rollup-suite.js'
import {storeSuite} from './store-suite.js'

const dir = mkdtempSync(join(tmpdir(), 'collector-sqlite-'))
after(() => rmSync(dir, {force: true, recursive: true}))
const file = join(dir, 'nested', 'telemetry.db')

storeSuite('SQLite', () => openStore(file), {reopen: () => openStore(file)})

let fresh = 0
const upgraded = join(dir, 'upgraded.db')
rollupSuite('SQLite', async (options) => openStore(join(dir, `fresh-${++fresh}.db`), options), {
  async downgrade() {
    const db = new Database(upgraded)
    db.exec(
      'DROP TABLE agg_spill; ALTER TABLE aggregator DROP COLUMN property_cap; DELETE FROM schema_migrations WHERE version = 7',
    )
    db.close()
  },
  open: async (options) => openStore(upgraded, options),
})

describe('SQLite property cap', () => {
  it('caps a day of 35,000 distinct values on upgrade (more than a statement takes parameters)', async () => {
    const path = join(dir, 'wide.db')
    const ts = '2026-10-05T12:00:00.000Z'
    let store = await openStore(path, {propertyCap: 1_000_000})
    try {
      for (let i = 0; i < 35; i++) {
        const messages = Array.from({length: 1000}, (_, j) =>
          commandMessage({
            payload: {event: 'path_opened', properties: {path: `/home/u/${i * 1000 + j}`}},
            timestamp: ts,
          }),
        )
        await store.insert(messages.map((m) => prepareMessage(m)))
      }

      await store.aggregate()
    } finally {
      await store.close()
    }

    const db = new Database(path)
    db.exec(
      'DROP TABLE agg_spill; ALTER TABLE aggregator DROP COLUMN property_cap; DELETE FROM schema_migrations WHERE version = 7',
    )
    db.close()
    store = await openStore(path, {propertyCap: 2})
    try {
      const rows = await store.report({by: 'property.path', limit: 10})
      assert.deepEqual(
        rows.map((r) => [r.key, r.events, r.instances]),
        [
          ['(other)', 34_998, 34_998],
          ['/home/u/0', 1, 1],
          ['/home/u/1', 1, 1],
        ],
      )
    } finally {
      await store.close()
    }
  })
})

describe('SQLite aggregates of closed periods', () => {
  it('exist for the weeks and months that ended before the newest events, and only for them', async () => {
    const path = join(dir, 'closing.db')
    const store = await openStore(path)
    try {
      for (const b of fleet({days: 45, instances: 40, seed: 5})) await store.insert(b.map((m) => prepareMessage(m)))
      await store.aggregate()
    } finally {
      await store.close()
    }

    const db = new Database(path, {readonly: true})
    try {
      const {closed_through: closed} = db.prepare('SELECT closed_through FROM aggregator').get() as {
        closed_through: number
      }
      // The fleet ends on 2026-10-31 (day 20,757): closed two days before it.
      assert.equal(closed, Date.UTC(2026, 9, 31) / 86_400_000 - 2)
      const wider = db.prepare('SELECT DISTINCT period FROM agg WHERE period >= ?').all(WEEK) as {period: number}[]
      assert.ok(wider.length >= 6, `${wider.length} weeks and months`)
      for (const {period} of wider) assert.ok(daysOf(period)[1] <= closed, `period ${period} is open`)
    } finally {
      db.close()
    }
  })
})

const files = (path: string) => [path, `${path}-wal`, `${path}-shm`].filter((f) => existsSync(f))

const holding = (path: string, text: Buffer | string) => files(path).filter((f) => readFileSync(f).includes(text))

describe('SQLite files', () => {
  const CANARY = 'CANARY-3c1e7b-deleted'

  it('are created readable by their owner only (database, WAL and shared memory)', async () => {
    const path = join(dir, 'modes', 'telemetry.db')
    const store = await openStore(path)
    try {
      await store.insert(batch(3).map((m) => prepareMessage(m)))
      const found = files(path)
      assert.equal(found.length, 3)
      for (const file of found) assert.equal((statSync(file).mode % 0o1000).toString(8), '600', file)
    } finally {
      await store.close()
    }
  })

  it('keep no readable copy of a deleted instance, while open and after close', async () => {
    const path = join(dir, 'canary.db')
    const store = await openStore(path)
    const instance = randomUUID()
    try {
      await store.insert(batch(20).map((m) => prepareMessage(m)))
      const sessionId = randomUUID()
      const own = [
        ...batch(30, {instance_id: instance, properties: {secret_field: CANARY}, session_id: sessionId}),
        ...batch(20, {
          instance_id: instance,
          payload: {event: 'cookbook_used', properties: {cookbook: CANARY}},
          session_id: sessionId,
        }),
      ]
      await store.insert(own.map((m) => prepareMessage(m)))
      await store.insert(batch(20).map((m) => prepareMessage(m)))
      // The test can fail: the canary and the instance id are on disk before the deletion.
      assert.notDeepEqual(holding(path, CANARY), [])
      assert.notDeepEqual(holding(path, Buffer.from(instance.replaceAll('-', ''), 'hex')), [])
      assert.deepEqual(
        (await store.report({by: 'property.cookbook', limit: 5})).map((r) => r.key),
        [CANARY],
      )
      const record = await store.deleteInstance(instance)
      assert.equal(record.events_deleted, 50)
      assert.deepEqual(holding(path, CANARY), [])
      // Nor the instance id, as text or as the 16 bytes the store keeps.
      assert.deepEqual(holding(path, instance), [])
      assert.deepEqual(holding(path, Buffer.from(instance.replaceAll('-', ''), 'hex')), [])
      assert.deepEqual(await store.report({by: 'property.cookbook', limit: 5}), [])
    } finally {
      await store.close()
    }

    assert.deepEqual(holding(path, CANARY), [])
    const reopened = await openStore(path)
    try {
      assert.equal(await reopened.countEvents(), 40)
    } finally {
      await reopened.close()
    }
  })
})
