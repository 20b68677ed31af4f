/** The engine under inputs it cannot take, and far behind its store: it goes on, and says so. */
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import type {Store} from '../../src/store/store.js'

import {HttpError} from '../../src/errors.js'
import {prepareMessage} from '../../src/store/message.js'
import {openStore} from '../../src/store/open.js'
import {openAnalytics} from '../support/analytics.js'
import {batch, commandMessage} from '../support/messages.js'

const dir = mkdtempSync(join(tmpdir(), 'analytics-faults-'))
after(() => rmSync(dir, {force: true, recursive: true}))
let files = 0
const freshStore = async () => openStore(join(dir, `store-${++files}.db`))

describe('analytics engine faults', () => {
  it('counts an absurd duration (1e300 ms) in its highest bucket instead of failing', async () => {
    const store = await freshStore()
    const analytics = await openAnalytics(store)
    try {
      const messages = [commandMessage({properties: {command: 'slow', duration_ms: 1e300}}), ...batch(3)]
      await store.insert(messages.map((m) => prepareMessage(m)))
      const [slow] = await analytics.report({by: 'command', command: 'slow', limit: 5})
      assert.equal(slow.events, 1)
      assert.ok(slow.p99_ms !== null && slow.p99_ms > 1e200, String(slow.p99_ms))
      assert.equal(analytics.status().status, 'ok')
    } finally {
      await analytics.dispose()
      await store.close()
    }
  })

  it('skips one event it cannot take, alone, logs it, and reads every other one', async () => {
    const store = await freshStore()
    await store.insert(batch(50).map((m) => prepareMessage(m)))
    // A store that hands over one event the engine cannot hold (an instance number past 32 bits).
    const poisoned: Store = Object.create(store, {
      factsAfter: {
        value: async (afterId: number, limit: number) =>
          (await store.factsAfter(afterId, limit)).map((f, i) => (i === 17 ? {...f, instance: 2 ** 40} : f)),
      },
    })
    const logged: string[] = []
    const analytics = await openAnalytics(poisoned, {log: {error: (_o, m) => logged.push(m), warn() {}}})
    try {
      const [row] = await analytics.report({by: 'product', limit: 5})
      assert.equal(row.events, 49)
      assert.deepEqual([analytics.status().status, analytics.status().skipped_events], ['ok', 1])
      assert.deepEqual(logged, ['analytics: an event could not be read into the engine; skipped'])
      // It goes on with later events as usual.
      await store.insert(batch(5).map((m) => prepareMessage(m)))
      assert.equal((await analytics.report({by: 'product', limit: 5}))[0].events, 54)
    } finally {
      await analytics.dispose()
      await store.close()
    }
  })

  it('answers 503 with Retry-After while far behind its store, instead of holding the request', async () => {
    const store = await freshStore()
    const behind: Store = Object.create(store, {lastEventId: {value: async () => 300_000}})
    const analytics = await openAnalytics(behind)
    try {
      await assert.rejects(analytics.report({by: 'product', limit: 5}), (error: unknown) => {
        assert.ok(error instanceof HttpError, String(error))
        assert.equal(error.statusCode, 503)
        assert.equal(error.retryAfter, 15)
        assert.match(error.message, /reading the store \(300000 events to go\)/)
        return true
      })
    } finally {
      await analytics.dispose()
      await store.close()
    }
  })
})

describe('analytics engine under a flood of distinct values', () => {
  it('keeps --values-per-day values of each dimension a day, counts the rest as "(other)", and stays bounded', async () => {
    const store = await freshStore()
    const analytics = await openAnalytics(store, {valuesPerDay: 50})
    try {
      // 20 posts of 1,000 all-distinct messages, as an attacker could send: commands, OS names,
      // flags, event names, property names and values all new.
      for (let post = 0; post < 20; post++) {
        const messages = Array.from({length: 1000}, (_, i) => {
          const n = `${post}-${i}`
          return i % 2 === 0
            ? commandMessage({product: `p-${n}`, properties: {command: `c-${n}`, flags: [`f-${n}`], os: `os-${n}`}})
            : commandMessage({payload: {event: `e-${n}`, properties: {[`name-${n}`]: `value-${n}`}}})
        })
        await store.insert(messages.map((m) => prepareMessage(m)))
      }

      for (const by of ['command', 'product', 'os', 'flag', 'event'] as const) {
        const rows = await analytics.report({by, limit: 1000})
        // 50 kept values (the day's first) and "(other)" (and, for command, the custom events' null).
        assert.ok(rows.length <= 52, `${by}: ${rows.length} rows`)
        assert.ok(
          rows.some((r) => r.key === '(other)'),
          by,
        )
      }

      const properties = await analytics.properties({limit: 1000})
      assert.ok(properties.length <= 1000, `${properties.length} property rows`)
      const total = (await analytics.report({by: 'product', limit: 1000})).reduce((n, r) => n + r.events, 0)
      assert.equal(total, 20_000, 'every event is counted')
      // A deletion depends on the store alone, and the reports then leave the instance out.
      const victim = commandMessage()
      await store.insert([prepareMessage(victim)])
      const record = await store.deleteInstance(victim.instance_id)
      assert.equal(record.events_deleted, 1)
      assert.equal(
        (await analytics.report({by: 'product', limit: 1000})).reduce((n, r) => n + r.events, 0),
        20_000,
      )
    } finally {
      await analytics.dispose()
      await store.close()
    }
  })
})
