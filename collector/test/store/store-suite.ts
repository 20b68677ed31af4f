/** One suite, run against every Store implementation (SQLite and PostgreSQL). */
import assert from 'node:assert/strict'
import {randomUUID} from 'node:crypto'
import {after, before, describe, it} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'

import type {Store} from '../../src/store/store.js'

import {prepareMessage, type TelemetryMessage} from '../../src/store/message.js'
import {checkMessage} from '../../src/validate.js'
import {batch, commandMessage, rubyMessage} from '../support/messages.js'

const prep = (m: TelemetryMessage) => prepareMessage(m)
const at = (day: string) => `${day}T10:00:00.000Z`

export function storeSuite(
  name: string,
  makeStore: () => Promise<Store>,
  options: {reopen?: () => Promise<Store>} = {},
): void {
  describe(`${name} store`, () => {
    let store: Store

    before(async () => {
      store = await makeStore()
    })

    after(async () => {
      await store?.close()
    })

    it('stores each message once and counts duplicates', async () => {
      const messages = batch(5).map((m) => prep(m))
      assert.deepEqual(await store.insert(messages), {accepted: 5, duplicates: 0, suppressed: 0})
      assert.deepEqual(await store.insert([...messages.slice(0, 2), ...batch(3).map((m) => prep(m))]), {
        accepted: 3,
        duplicates: 2,
        suppressed: 0,
      })
      // The same message twice in one batch.
      const one = prep(commandMessage())
      assert.deepEqual(await store.insert([one, one]), {accepted: 1, duplicates: 1, suppressed: 0})
    })

    it('stores the whole message and gives it back unchanged', async () => {
      const message = commandMessage({
        properties: {nested: {a: [1, 'two', null, true]}, unicode: '😀 ü 中文 \u200B \uFEFF'},
      })
      await store.insert([prep(message)])
      assert.deepEqual(await store.getMessage(message.message_id!), message)
    })

    it('derives a stable id for messages without message_id (Ruby client retries)', async () => {
      const message = rubyMessage()
      const first = checkMessage(structuredClone(message))
      const again = checkMessage(structuredClone(message))
      assert.equal(typeof first, 'object')
      assert.equal(typeof again, 'object')
      const a = first as Exclude<typeof first, string>
      const b = again as Exclude<typeof again, string>
      assert.equal(a.messageId, b.messageId)
      assert.match(a.messageId, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
      assert.deepEqual(await store.insert([a]), {accepted: 1, duplicates: 0, suppressed: 0})
      assert.deepEqual(await store.insert([b]), {accepted: 0, duplicates: 1, suppressed: 0})
      assert.deepEqual(await store.getMessage(a.messageId), message)
    })

    it('deletes every event of an instance, records the deletion and tombstones the instance', async () => {
      const instance = randomUUID()
      const other = randomUUID()
      await store.insert([...batch(4, {instance_id: instance}), ...batch(2, {instance_id: other})].map((m) => prep(m)))
      const before = await store.countEvents()
      const record = await store.deleteInstance(instance.toUpperCase())
      assert.equal(record.events_deleted, 4)
      assert.equal(await store.countEvents(), before - 4)
      assert.match(record.deletion_id, /^[0-9a-f-]{36}$/)
      assert.ok(Date.parse(record.requested_at) <= Date.parse(record.completed_at!))
      assert.deepEqual(await store.getDeletion(record.deletion_id), record)
      assert.equal(JSON.stringify(record).includes(instance), false)
      assert.equal(await store.getDeletion(randomUUID()), undefined)

      // Later events of the deleted instance are suppressed, others stored.
      const late = [...batch(3, {instance_id: instance}), ...batch(1, {instance_id: other})].map((m) => prep(m))
      assert.deepEqual(await store.insert(late), {accepted: 1, duplicates: 0, suppressed: 3})
      // Deleting again works and deletes nothing.
      const second = await store.deleteInstance(instance)
      assert.equal(second.events_deleted, 0)
      assert.notEqual(second.deletion_id, record.deletion_id)
    })

    it('leaves nothing of an instance deleted while its events are being ingested', async () => {
      const instance = randomUUID()
      const batches = Array.from({length: 20}, () => batch(20, {instance_id: instance}).map((m) => prep(m)))
      const inserts = batches.map(async (rows, i) => {
        await sleep(i)
        return store.insert(rows)
      })
      await sleep(8)
      const record = await store.deleteInstance(instance)
      const results = await Promise.all(inserts)
      const stored = results.reduce((n, r) => n + r.accepted, 0)
      const suppressed = results.reduce((n, r) => n + r.suppressed, 0)
      assert.equal(stored + suppressed, 400)
      // Everything stored before the deletion was deleted by it; everything after was suppressed.
      assert.equal(record.events_deleted, stored)
      for (const rows of batches) for (const row of rows) assert.equal(await store.getMessage(row.messageId), undefined)
    })

    it('reports counts and distinct instances by each dimension, with filters', async () => {
      const product = `p-${randomUUID().slice(0, 8)}`
      const a = randomUUID()
      const b = randomUUID()
      const messages = [
        ...batch(3, {instance_id: a, product, product_version: '1.0.0', timestamp: at('2026-01-01')}),
        ...batch(2, {instance_id: b, product, product_version: '1.1.0', timestamp: at('2026-01-02')}),
        ...batch(1, {
          instance_id: b,
          product,
          product_version: '1.1.0',
          properties: {command: 'init', os: 'darwin'},
          timestamp: at('2026-01-03'),
        }),
        ...batch(1, {
          instance_id: b,
          payload: {event: 'custom', properties: {}},
          product,
          product_version: '1.1.0',
          timestamp: at('2026-01-03'),
        }),
      ].map((m) => prep(m))
      await store.insert(messages)

      assert.deepEqual(await store.report({by: 'command', limit: 10, product}), [
        {events: 5, instances: 2, key: 'deploy'},
        {events: 1, instances: 1, key: 'init'},
        {events: 1, instances: 1, key: null},
      ])
      assert.deepEqual(await store.report({by: 'os', event: 'command', limit: 10, product}), [
        {events: 5, instances: 2, key: 'linux'},
        {events: 1, instances: 1, key: 'darwin'},
      ])
      assert.deepEqual(await store.report({by: 'version', limit: 10, product}), [
        {events: 4, instances: 1, key: `${product}@1.1.0`},
        {events: 3, instances: 1, key: `${product}@1.0.0`},
      ])
      assert.deepEqual(await store.report({by: 'day', from: '2026-01-02', limit: 10, product, to: '2026-01-03'}), [
        {events: 2, instances: 1, key: '2026-01-02'},
        {events: 2, instances: 1, key: '2026-01-03'},
      ])
      assert.deepEqual(await store.report({by: 'product', limit: 1, product}), [
        {events: 7, instances: 2, key: product},
      ])
      assert.deepEqual(await store.report({by: 'command', limit: 1, product}), [
        {events: 5, instances: 2, key: 'deploy'},
      ])
      assert.deepEqual(await store.report({by: 'command', limit: 10, product: 'no-such-product'}), [])
    })

    it('keeps SQL metacharacters and unusual Unicode byte-identical', async () => {
      const nasty = `'; DROP TABLE events; -- " \\ %_ $1 ? @x \u2028\u2029 \u{1F600} e\u0301 \uFFFF ${'\u0007'}\t\n`
      const message = commandMessage({
        license_id: nasty,
        origin: nasty,
        payload: {anonymousId: nasty, event: nasty},
        product: nasty,
        product_version: nasty,
        properties: {command: nasty, [nasty]: nasty, os: nasty},
      })
      const result = checkMessage(message)
      assert.equal(typeof result, 'object', String(result))
      await store.insert([result as Exclude<typeof result, string>])
      assert.deepEqual(await store.getMessage(message.message_id!), message)
      assert.deepEqual(await store.report({by: 'command', limit: 5, product: nasty}), [
        {events: 1, instances: 1, key: nasty},
      ])
      assert.ok((await store.countEvents()) > 0, 'events table still there')
    })

    it('purges events received before a cutoff', async () => {
      await store.insert(batch(2).map((m) => prep(m)))
      const total = await store.countEvents()
      assert.equal(await store.purge(new Date(Date.now() - 60_000)), 0)
      assert.equal(await store.countEvents(), total)
      assert.equal(await store.purge(new Date(Date.now() + 60_000)), total)
      assert.equal(await store.countEvents(), 0)
    })

    it('inserts nothing from an empty list, and answers ping', async () => {
      assert.deepEqual(await store.insert([]), {accepted: 0, duplicates: 0, suppressed: 0})
      await store.ping()
    })

    if (options.reopen) {
      it('migrates idempotently: reopening keeps the data', async () => {
        await store.insert(batch(3).map((m) => prep(m)))
        const count = await store.countEvents()
        const again = await options.reopen!()
        try {
          assert.equal(await again.countEvents(), count)
        } finally {
          await again.close()
        }
      })
    }
  })
}
