import Database from 'better-sqlite3'
import assert from 'node:assert/strict'
import {randomUUID} from 'node:crypto'
import {existsSync, mkdtempSync, readFileSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import {prepareMessage} from '../../src/store/message.js'
import {openStore} from '../../src/store/open.js'
import {batch} from '../support/messages.js'
import {storeSuite} from './store-suite.js'

const dir = mkdtempSync(join(tmpdir(), 'collector-sqlite-'))
after(() => rmSync(dir, {force: true, recursive: true}))
const file = join(dir, 'nested', 'telemetry.db')

storeSuite('SQLite', () => openStore(file), {reopen: () => openStore(file)})

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
      const record = await store.deleteInstance(instance)
      assert.equal(record.events_deleted, 50)
      assert.deepEqual(holding(path, CANARY), [])
      // Nor the instance id, as text or as the 16 bytes the store keeps.
      assert.deepEqual(holding(path, instance), [])
      assert.deepEqual(holding(path, Buffer.from(instance.replaceAll('-', ''), 'hex')), [])
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

describe('SQLite schema versions', () => {
  it('upgrades a store of schema 7 (the rollups): keeps its events, and ids stay above the old watermark', async () => {
    const path = join(dir, 'v7.db')
    let store = await openStore(path)
    await store.insert(batch(5).map((m) => prepareMessage(m)))
    await store.close()
    // Back to what schema 7 left: the aggregator's watermark (past the newest event, as after
    // deletions), its tables, and no `changes` or `last_event_id`.
    const db = new Database(path)
    db.exec(`DROP TABLE changes; DROP TABLE last_event_id; DELETE FROM schema_migrations WHERE version = 8;
      CREATE TABLE aggregator (id INTEGER PRIMARY KEY, watermark INTEGER NOT NULL, closed_through INTEGER, property_cap INTEGER);
      INSERT INTO aggregator VALUES (1, 40, NULL, 100);
      CREATE TABLE agg (period INTEGER, level INTEGER, dim INTEGER, value INTEGER, events INTEGER, failures INTEGER, histogram BLOB, instances BLOB);`)
    db.close()
    store = await openStore(path)
    try {
      assert.equal(await store.countEvents(), 5)
      await store.insert(batch(2).map((m) => prepareMessage(m)))
      const facts = await store.factsAfter(0, 100)
      assert.deepEqual(
        facts.map((f) => f.id),
        [1, 2, 3, 4, 5, 41, 42],
      )
      const tables = new Database(path, {readonly: true})
      const names = (
        tables.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {name: string}[]
      ).map((t) => t.name)
      tables.close()
      assert.equal(names.includes('agg'), false)
      assert.equal(names.includes('aggregator'), false)
      assert.ok(names.includes('changes'), names.join(' '))
    } finally {
      await store.close()
    }
  })

  it('refuses a store written by a newer collector, in words', async () => {
    const path = join(dir, 'newer.db')
    const store = await openStore(path)
    await store.close()
    const db = new Database(path)
    db.exec("INSERT INTO schema_migrations (version, applied_at) VALUES (99, '2030-01-01')")
    db.close()
    await assert.rejects(openStore(path), /the store was written by a newer collector \(schema 99; this one knows 8\)/)
  })
})
