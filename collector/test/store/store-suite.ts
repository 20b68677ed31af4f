/** One suite, run against every Store implementation (SQLite and PostgreSQL). */
import assert from 'node:assert/strict'
import {randomUUID} from 'node:crypto'
import {after, before, describe, it} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'

import type {ReportQuery} from '../../src/analytics/types.js'
import type {Store} from '../../src/store/store.js'

import {prepareMessage, type TelemetryMessage} from '../../src/store/message.js'
import {checkMessage} from '../../src/validate.js'
import {openAnalytics, type TestAnalytics} from '../support/analytics.js'
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
    let analytics: TestAnalytics

    before(async () => {
      store = await makeStore()
      analytics = await openAnalytics(store)
    })

    after(async () => {
      await analytics?.dispose()
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

      const brief = async (query: ReportQuery) =>
        (await analytics.report(query)).map(({events, instances, key}) => ({events, instances, key}))
      assert.deepEqual(await brief({by: 'command', limit: 10, product}), [
        {events: 5, instances: 2, key: 'deploy'},
        {events: 1, instances: 1, key: 'init'},
        {events: 1, instances: 1, key: null},
      ])
      assert.deepEqual(await brief({by: 'os', event: 'command', limit: 10, product}), [
        {events: 5, instances: 2, key: 'linux'},
        {events: 1, instances: 1, key: 'darwin'},
      ])
      assert.deepEqual(await brief({by: 'version', limit: 10, product}), [
        {events: 4, instances: 1, key: `${product}@1.1.0`},
        {events: 3, instances: 1, key: `${product}@1.0.0`},
      ])
      assert.deepEqual(await brief({by: 'day', from: '2026-01-02', limit: 10, product, to: '2026-01-03'}), [
        {events: 2, instances: 1, key: '2026-01-02'},
        {events: 2, instances: 1, key: '2026-01-03'},
      ])
      assert.deepEqual(await brief({by: 'product', limit: 1, product}), [{events: 7, instances: 2, key: product}])
      assert.deepEqual(await brief({by: 'command', limit: 1, product}), [{events: 5, instances: 2, key: 'deploy'}])
      assert.deepEqual(await analytics.report({by: 'command', limit: 10, product: 'no-such-product'}), [])
    })

    it('reports failures, duration percentiles, flags, errors, suggestions and custom properties', async () => {
      const product = `q-${randomUUID().slice(0, 8)}`
      const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()]
      const day = at('2026-03-02')
      const durations = Array.from({length: 100}, (_, i) => (i + 1) * 10)
      const messages = [
        ...durations.map((duration, i) =>
          commandMessage({
            instance_id: [a, b][i % 2],
            product,
            properties: {
              command: 'converge',
              duration_ms: duration,
              error: i < 5 ? 'ConvergeError' : null,
              flags: i % 4 === 0 ? ['force', 'json'] : [],
              outcome: i < 5 ? 'failure' : 'success',
            },
            timestamp: day,
          }),
        ),
        commandMessage({
          instance_id: c,
          product,
          properties: {command: null, duration_ms: 3, flags: [], outcome: 'not_found', suggestion: 'converge'},
          timestamp: at('2026-03-09'),
        }),
        ...['berkshelf', 'berkshelf', 'apache2'].map((cookbook) =>
          commandMessage({
            instance_id: c,
            payload: {event: 'cookbook_used', properties: {cookbook, pinned: true, size: 3}},
            product,
            timestamp: at('2026-04-01'),
          }),
        ),
      ].map((m) => prep(m))
      await store.insert(messages)

      const [converge] = await analytics.report({by: 'command', command: 'converge', limit: 5, product})
      assert.equal(converge.events, 100)
      assert.equal(converge.failures, 5)
      assert.equal(converge.instances, 2)
      // 1% relative accuracy around the exact ranks (500, 900, 990 ms).
      for (const [value, exact] of [
        [converge.p50_ms, 500],
        [converge.p90_ms, 900],
        [converge.p99_ms, 990],
      ] as const) {
        assert.ok(value !== null && Math.abs(value - exact) <= exact * 0.03, `${value} ~ ${exact}`)
      }

      const keys = async (by: ReportQuery['by'], extra = {}) =>
        (await analytics.report({by, limit: 10, product, ...extra})).map((r) => [r.key, r.events, r.instances])
      assert.deepEqual(await keys('flag'), [
        ['force', 25, 1],
        ['json', 25, 1],
      ])
      assert.deepEqual(await keys('error', {event: 'command'}), [
        [null, 96, 3],
        ['ConvergeError', 5, 2],
      ])
      assert.deepEqual(await keys('outcome', {event: 'command'}), [
        ['success', 95, 2],
        ['failure', 5, 2],
        ['not_found', 1, 1],
      ])
      assert.deepEqual(await keys('suggestion', {outcome: 'not_found'}), [['converge', 1, 1]])
      assert.deepEqual(await keys('event'), [
        ['command', 101, 3],
        ['cookbook_used', 3, 1],
      ])
      assert.deepEqual(await keys('property.cookbook'), [
        ['berkshelf', 2, 1],
        ['apache2', 1, 1],
      ])
      assert.deepEqual(await keys('property.pinned'), [['true', 3, 1]])
      assert.deepEqual(await keys('property.size'), [['3', 3, 1]])
      assert.deepEqual(await keys('property.command'), [])
      assert.deepEqual(await keys('week'), [
        ['2026-W10', 100, 2],
        ['2026-W14', 3, 1],
        ['2026-W11', 1, 1],
      ])
      assert.deepEqual(await keys('month'), [
        ['2026-03', 101, 3],
        ['2026-04', 3, 1],
      ])
      for (const by of ['os', 'arch', 'ci', 'node'] as const)
        assert.equal((await keys(by, {event: 'command'})).length, 1)
      const [notFound] = await analytics.report({by: 'command', limit: 5, outcome: 'not_found', product})
      assert.deepEqual(notFound, {
        events: 1,
        failures: 0,
        instances: 1,
        key: null,
        p50_ms: 3,
        p90_ms: 3,
        p99_ms: 3,
      })
      const [noDuration] = await analytics.report({by: 'event', event: 'cookbook_used', limit: 5, product})
      assert.deepEqual([noDuration.p50_ms, noDuration.p90_ms, noDuration.p99_ms], [null, null, null])
    })

    it('reports active instances per day, week and month', async () => {
      const product = `act-${randomUUID().slice(0, 8)}`
      const [a, b] = [randomUUID(), randomUUID()]
      await store.insert(
        [
          ...batch(2, {instance_id: a, product, timestamp: at('2026-02-27')}),
          ...batch(1, {instance_id: b, product, timestamp: at('2026-02-28')}),
          ...batch(1, {instance_id: a, product, timestamp: at('2026-03-02')}),
        ].map((m) => prep(m)),
      )
      assert.deepEqual(await analytics.active({period: 'day', product}), [
        {events: 2, instances: 1, period: '2026-02-27'},
        {events: 1, instances: 1, period: '2026-02-28'},
        {events: 1, instances: 1, period: '2026-03-02'},
      ])
      assert.deepEqual(await analytics.active({period: 'week', product}), [
        {events: 3, instances: 2, period: '2026-W09'},
        {events: 1, instances: 1, period: '2026-W10'},
      ])
      assert.deepEqual(await analytics.active({period: 'month', product}), [
        {events: 3, instances: 2, period: '2026-02'},
        {events: 1, instances: 1, period: '2026-03'},
      ])
      // Whole periods that overlap the days asked for.
      assert.deepEqual(await analytics.active({from: '2026-02-28', period: 'month', product, to: '2026-02-28'}), [
        {events: 3, instances: 2, period: '2026-02'},
      ])
    })

    it('reports commands per session and the next commands, whatever the arrival order', async () => {
      const product = `ses-${randomUUID().slice(0, 8)}`
      const session = (commands: [string, string][], start: string) => {
        const instance = randomUUID()
        const sessionId = randomUUID()
        return commands.map(([command, outcome], i) =>
          commandMessage({
            instance_id: instance,
            product,
            properties: {command, outcome},
            session_id: sessionId,
            timestamp: new Date(Date.parse(start) + i * 60_000).toISOString(),
          }),
        )
      }

      const one = session(
        [
          ['converge', 'failure'],
          ['login', 'success'],
          ['converge', 'success'],
        ],
        at('2026-05-01'),
      )
      const two = session(
        [
          ['converge', 'failure'],
          ['login', 'success'],
        ],
        at('2026-05-02'),
      )
      const three = session([['converge', 'failure']], at('2026-05-03'))
      // Out of order and split across batches.
      await store.insert([one[2], two[1]].map((m) => prep(m)))
      await store.insert([three[0], one[0], two[0]].map((m) => prep(m)))
      await store.insert([one[1]].map((m) => prep(m)))
      const report = await analytics.sessions({limit: 10, product})
      assert.equal(report.sessions, 3)
      assert.deepEqual(report.commands_per_session, [
        {commands: 1, sessions: 1},
        {commands: 2, sessions: 1},
        {commands: 3, sessions: 1},
      ])
      assert.deepEqual(report.next, [
        {command: 'converge', count: 2, ended: false, next: 'login', outcome: 'failure', total: 3},
        {command: 'converge', count: 1, ended: true, next: null, outcome: 'failure', total: 3},
        {command: 'login', count: 1, ended: false, next: 'converge', outcome: 'success', total: 2},
        {command: 'login', count: 1, ended: true, next: null, outcome: 'success', total: 2},
        {command: 'converge', count: 1, ended: true, next: null, outcome: 'success', total: 1},
      ])
      const later = await analytics.sessions({from: '2026-05-02', limit: 10, product})
      assert.equal(later.sessions, 2)
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
      assert.deepEqual(
        (await analytics.report({by: 'command', limit: 5, product: nasty})).map((r) => [r.key, r.events, r.instances]),
        [[nasty, 1, 1]],
      )
      assert.ok((await store.countEvents()) > 0, 'events table still there')
    })

    it('reports custom properties named like what every JavaScript object has (__proto__, toString)', async () => {
      const product = 'odd-names'
      const odd = JSON.parse('{"__proto__": "a", "toString": "b", "constructor": "c", "hasOwnProperty": "d"}')
      const messages = [
        commandMessage({payload: {event: 'odd', properties: odd}, product}),
        commandMessage({payload: {event: 'plain', properties: {other: 'x'}}, product}),
      ]
      for (const m of messages) {
        const result = checkMessage(m)
        assert.equal(typeof result, 'object', String(result))

        await store.insert([result as Exclude<typeof result, string>])
      }

      const keys = async (by: string, filter: Record<string, string>) =>
        (await analytics.report({by: by as ReportQuery['by'], limit: 10, ...filter})).map((r) => [r.key, r.events])
      for (const [name, value] of Object.entries(odd)) {
        assert.deepEqual(await keys(`property.${name}`, {event: 'odd'}), [[value, 1]], name)
        assert.deepEqual(await keys(`property.${name}`, {event: 'odd', product}), [[value, 1]], name)
        assert.deepEqual(await keys(`property.${name}`, {event: 'plain'}), [], name)
        assert.deepEqual(await keys(`property.${name}`, {event: 'plain', product}), [], name)
      }

      const listed = (await analytics.properties({event: 'odd', limit: 50})).map((r) => r.property)
      assert.deepEqual(listed, ['__proto__', 'constructor', 'hasOwnProperty', 'toString'])
    })

    it('purges events received before a cutoff', async () => {
      await store.insert(batch(2).map((m) => prep(m)))
      const total = await store.countEvents()
      assert.equal((await store.purge(new Date(Date.now() - 60_000))).events, 0)
      assert.equal(await store.countEvents(), total)
      assert.equal((await store.purge(new Date(Date.now() + 60_000))).events, total)
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
