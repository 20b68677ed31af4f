/** The HTTP contract, with real requests to a server on 127.0.0.1 port 0, run against each store. */
import assert from 'node:assert/strict'
import {randomUUID} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {after, afterEach, before, describe, it} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'
import {gzipSync} from 'node:zlib'

import type {Store} from '../../src/store/store.js'

import {type RunningServer} from '../../src/server.js'
import {canonicalJson} from '../../src/store/message.js'
import {Capture, postJson, send} from '../support/http.js'
import {batch, commandMessage, rubyMessage} from '../support/messages.js'
import {serve} from '../support/server.js'

const TOKEN = 'test-admin-token-0123456789abcdef'
const CANARY = 'CANARY-7f3a9c-do-not-log'

export function httpSuite(name: string, makeStore: () => Promise<Store>): void {
  describe(`HTTP contract (${name})`, () => {
    let store: Store
    let server: RunningServer
    let url: string
    const logs = new Capture()

    before(async () => {
      store = await makeStore()
      server = await serve({adminToken: TOKEN, logger: {level: 'debug', stream: logs}, port: 0, store})
      url = server.url
    })

    after(async () => {
      await server?.close()
      await store?.close()
    })
    // The server stays up after every request, whatever it was.
    afterEach(async () => {
      const health = await send(`${url}/healthz`)
      assert.equal(health.status, 200)
      const {version} = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
        version: string
      }
      assert.deepEqual(
        {...health.json, analytics: health.json.analytics.status},
        {analytics: 'ok', status: 'ok', store: store.kind, version},
      )
    })

    const events = () => `${url}/events`

    it('listens on the port it was given (0: a free one)', () => {
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/)
      assert.notEqual(server.port, 0)
    })

    it("accepts one message as Chef's Ruby client sends it, once", async () => {
      const message = rubyMessage()
      const first = await postJson(events(), message)
      assert.equal(first.status, 200, first.text)
      assert.deepEqual(first.json, {accepted: 1, duplicates: 0, rejected: [], suppressed: 0})
      const retry = await postJson(events(), message)
      assert.deepEqual(retry.json, {accepted: 0, duplicates: 1, rejected: [], suppressed: 0})
    })

    it('accepts a gzip batch of 100 plugin messages', async () => {
      const messages = batch(100)
      const before = await store.countEvents()
      const res = await send(events(), {
        body: gzipSync(JSON.stringify(messages)),
        headers: {'content-encoding': 'gzip'},
      })
      assert.equal(res.status, 200, res.text)
      assert.deepEqual(res.json, {accepted: 100, duplicates: 0, rejected: [], suppressed: 0})
      assert.equal(await store.countEvents(), before + 100)
      assert.deepEqual(await store.getMessage(messages[42].message_id!), messages[42])
    })

    it('reads the body as JSON whatever the Content-Type (or none)', async () => {
      for (const type of ['', 'text/plain', 'application/json; charset=utf-8']) {
        const res = await send(events(), {body: JSON.stringify(commandMessage()), headers: {'content-type': type}})
        assert.equal(res.status, 200, `${type}: ${res.text}`)
      }
    })

    it('refuses malformed JSON with 400 and a reason', async () => {
      for (const body of ['{', '{"instance_id": }', `[{"a":1},`, 'not json', '']) {
        const res = await send(events(), {body, method: 'POST'})
        assert.equal(res.status, 400, `${body}: ${res.text}`)
        assert.equal(typeof res.json.error, 'string')
      }
    })

    it('refuses bodies that are not UTF-8, not gzip, or in another encoding', async () => {
      const latin1 = Buffer.concat([Buffer.from('{"product":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')])
      assert.deepEqual((await send(events(), {body: latin1})).json, {error: 'request body is not valid UTF-8'})
      const notGzip = await send(events(), {body: '{"a":1}', headers: {'content-encoding': 'gzip'}})
      assert.equal(notGzip.status, 400)
      assert.match(notGzip.json.error, /gzip/)
      const br = await send(events(), {body: 'xx', headers: {'content-encoding': 'br'}})
      assert.equal(br.status, 415)
      assert.match(br.json.error, /Content-Encoding/)
    })

    it('refuses JSON that is not a message or an array of messages', async () => {
      for (const body of ['42', 'null', '"text"', '[]', '[1, 2]', '{}']) {
        const res = await send(events(), {body})
        assert.equal(res.status, 400, `${body}: ${res.text}`)
      }

      assert.match((await send(events(), {body: '[]'})).json.error, /empty/)
      assert.deepEqual((await send(events(), {body: '[1, "x"]'})).json.rejected, [
        {index: 0, reason: 'message: must be object'},
        {index: 1, reason: 'message: must be object'},
      ])
    })

    it('rejects wrong types, missing fields and unknown fields, naming them', async () => {
      const cases: Array<[unknown, RegExp]> = [
        [{...commandMessage(), message_version: '1.0'}, /message_version: must be number/],
        [{...commandMessage(), product: 42}, /product: must be string/],
        [{...commandMessage(), product: ''}, /product: must NOT have fewer than 1 characters/],
        [{...commandMessage(), product: 'x'.repeat(129)}, /product: must NOT have more than 128 characters/],
        [{...commandMessage(), type: 'identify'}, /type: must be equal to constant/],
        [{...commandMessage(), payload: {event: 'command', properties: []}}, /payload.properties: must be object/],
        [{...commandMessage(), payload: 'command'}, /payload: must be object/],
        [(({timestamp: _t, ...rest}) => rest)(commandMessage()), /missing required field "timestamp"/],
        [(({instance_id: _i, ...rest}) => rest)(commandMessage()), /missing required field "instance_id"/],
        [{...commandMessage(), payload: {properties: {}}}, /payload: missing required field "event"/],
        [{...commandMessage(), user_name: 'alice'}, /unknown field "user_name"/],
        [{...commandMessage(), payload: {event: 'command', extra: 1}}, /payload: unknown field "extra"/],
      ]
      const before = await store.countEvents()
      for (const [message, reason] of cases) {
        const res = await postJson(events(), message)
        assert.equal(res.status, 400, res.text)
        assert.equal(res.json.accepted, 0)
        assert.equal(res.json.rejected.length, 1)
        assert.equal(res.json.rejected[0].index, 0)
        assert.match(res.json.rejected[0].reason, reason)
      }

      assert.equal(await store.countEvents(), before)
    })

    it('rejects invalid UUIDs', async () => {
      for (const field of ['instance_id', 'message_id', 'session_id'] as const) {
        for (const bad of [
          'not-a-uuid',
          '00000000-0000-0000-0000-00000000000',
          `urn:uuid:${randomUUID()}`,
          `${randomUUID()} `,
        ]) {
          const res = await postJson(events(), {...commandMessage(), [field]: bad})
          assert.equal(res.status, 400, res.text)
          assert.equal(res.json.rejected[0].reason, `${field}: must be a UUID`)
        }
      }
    })

    it('rejects timestamps that are not RFC 3339 or more than 24h in the future', async () => {
      const future = new Date(Date.now() + 25 * 3600 * 1000).toISOString()
      const far = await postJson(events(), commandMessage({timestamp: future}))
      assert.equal(far.status, 400)
      assert.equal(far.json.rejected[0].reason, 'timestamp: more than 24 hours in the future')
      assert.equal((await postJson(events(), commandMessage({timestamp: '9999-12-31T23:59:59Z'}))).status, 400)
      for (const bad of [
        '2026-02-30T00:00:00Z',
        '2026-01-01T00:00:00',
        '2026-01-01',
        'yesterday',
        '2017-02-06T17:25:42   Z',
      ]) {
        const res = await postJson(events(), commandMessage({timestamp: bad}))
        assert.equal(res.status, 400, bad)
        assert.match(res.json.rejected[0].reason, /timestamp: must be an RFC 3339 date-time/)
      }

      const soon = new Date(Date.now() + 23 * 3600 * 1000).toISOString()
      assert.equal((await postJson(events(), commandMessage({timestamp: soon}))).json.accepted, 1)
      assert.equal(
        (await postJson(events(), commandMessage({timestamp: '2017-02-06T17:25:42+01:00'}))).json.accepted,
        1,
      )
    })

    it('refuses a message over 32 KiB (413 alone, rejected in a batch)', async () => {
      const big = commandMessage({properties: {blob: 'x'.repeat(33 * 1024)}})
      const alone = await postJson(events(), big)
      assert.equal(alone.status, 413, alone.text)
      assert.match(alone.json.rejected[0].reason, /over the limit of 32768 bytes/)
      const small = commandMessage()
      const mixed = await postJson(events(), [small, big])
      assert.equal(mixed.status, 200)
      assert.equal(mixed.json.accepted, 1)
      assert.equal(mixed.json.rejected[0].index, 1)
      assert.equal(await store.getMessage(big.message_id!), undefined)
    })

    it('refuses a 2 MiB body with 413', async () => {
      const before = await store.countEvents()
      const body = JSON.stringify([commandMessage({properties: {pad: 'y'.repeat(2 * 1024 * 1024)}})])
      const res = await send(events(), {body})
      assert.equal(res.status, 413)
      assert.match(res.json.error, /larger than 1048576 bytes/)
      // Without Content-Length (chunked) too.
      const chunked = await send(events(), {body, headers: {'transfer-encoding': 'chunked'}})
      assert.equal(chunked.status, 413)
      assert.equal(await store.countEvents(), before)
    })

    it('refuses a gzip body that inflates past 1 MiB (gzip bomb) without inflating it all', async () => {
      // 64 MiB of spaces inside a valid JSON array compresses to about 64 KiB.
      const bomb = gzipSync(Buffer.concat([Buffer.from('['), Buffer.alloc(64 * 1024 * 1024, 0x20), Buffer.from(']')]))
      assert.ok(bomb.length < 1024 * 1024)
      const rssBefore = process.memoryUsage().rss
      const res = await send(events(), {body: bomb, headers: {'content-encoding': 'gzip'}})
      assert.equal(res.status, 413, res.text)
      assert.match(res.json.error, /inflates to more than 1048576 bytes/)
      assert.ok(process.memoryUsage().rss - rssBefore < 48 * 1024 * 1024, 'did not inflate the bomb into memory')
      // Just under the limit inflated is fine.
      const fine = gzipSync(JSON.stringify([commandMessage(), ' '.repeat(1000)]).replace(/,\s*" +"\]$/, ']'))
      assert.equal((await send(events(), {body: fine, headers: {'content-encoding': 'gzip'}})).status, 200)
    })

    it('refuses more than 1000 messages with 413, accepts 1000', async () => {
      const before = await store.countEvents()
      const tooMany = await postJson(events(), batch(1001))
      assert.equal(tooMany.status, 413)
      assert.match(tooMany.json.error, /1001 messages, over the limit of 1000/)
      assert.equal(await store.countEvents(), before)
      const ok = await send(events(), {
        body: gzipSync(JSON.stringify(batch(1000))),
        headers: {'content-encoding': 'gzip'},
      })
      assert.equal(ok.json.accepted, 1000)
    })

    it('stores SQL metacharacters and unusual Unicode in every string field byte-identical', async () => {
      const nasty = `Robert'); DROP TABLE events;-- "\\" %s %_ $1 ? :name @x \`\u2028\u2029\u{1F468}\u200D\u{1F469} e\u0301 \uFFFD \uFFFF \u0007\u001B[31m`
      const message = commandMessage({
        install_context: nasty.slice(0, 60),
        license_id: nasty,
        origin: nasty.slice(0, 60),
        payload: {anonymousId: nasty, event: nasty},
        product: nasty.slice(0, 120),
        product_version: nasty.slice(0, 60),
        properties: {command: nasty, [nasty]: [nasty, {[nasty]: nasty}], os: nasty},
      })
      const res = await postJson(events(), message)
      assert.equal(res.status, 200, res.text)
      assert.equal(res.json.accepted, 1)
      const stored = await store.getMessage(message.message_id!)
      assert.deepEqual(stored, message)
      // Key order may differ (PostgreSQL JSONB sorts keys); every string is byte-identical.
      assert.ok(canonicalJson(stored) === canonicalJson(message), 'stored message differs')
    })

    it('rejects NUL bytes and unpaired surrogates in any string, with a reason, storing nothing', async () => {
      const before = await store.countEvents()
      const fields: Array<[string, (v: string) => unknown]> = [
        ['license_id', (v) => ({...commandMessage(), license_id: v})],
        ['origin', (v) => ({...commandMessage(), origin: v})],
        ['product', (v) => ({...commandMessage(), product: v})],
        ['product_version', (v) => ({...commandMessage(), product_version: v})],
        ['payload.event', (v) => commandMessage({payload: {event: v}})],
        ['payload.anonymousId', (v) => commandMessage({payload: {anonymousId: v, event: 'command'}})],
        ['payload.properties.command', (v) => commandMessage({properties: {command: v}})],
        ['payload.properties.flags[1]', (v) => commandMessage({properties: {flags: ['a', v]}})],
        ['payload.properties (field name)', (v) => commandMessage({properties: {[`k${v}`]: 1}})],
      ]
      for (const [path, make] of fields) {
        const nul = await send(events(), {body: JSON.stringify(make('a\u0000b'))})
        assert.equal(nul.status, 400, `${path}: ${nul.text}`)
        assert.equal(
          nul.json.rejected[0].reason,
          path === 'payload.properties (field name)'
            ? 'payload.properties: a field name contains U+0000 (NUL), which cannot be stored'
            : `${path}: contains U+0000 (NUL), which cannot be stored`,
        )
        const lone = await send(events(), {body: JSON.stringify(make('a\uD800b'))})
        assert.equal(lone.status, 400, `${path}: ${lone.text}`)
        assert.match(lone.json.rejected[0].reason, /unpaired UTF-16 surrogate/)
      }

      assert.equal(await store.countEvents(), before)
    })

    it('stores the valid messages of a mixed batch and lists the others', async () => {
      const good = [commandMessage(), rubyMessage(), commandMessage()]
      const body = [
        good[0],
        {...commandMessage(), extra: true},
        good[1],
        'x',
        {...commandMessage(), instance_id: 'nope'},
        good[2],
      ]
      const before = await store.countEvents()
      const res = await postJson(events(), body)
      assert.equal(res.status, 200)
      assert.equal(res.json.accepted, 3)
      assert.deepEqual(
        res.json.rejected.map((r: {index: number}) => r.index),
        [1, 3, 4],
      )
      assert.equal(await store.countEvents(), before + 3)
      assert.deepEqual(await store.getMessage((good[0] as {message_id: string}).message_id), good[0])
    })

    it('deletes an instance on request, keeps a record, suppresses its later events', async () => {
      const instance = randomUUID()
      await postJson(events(), batch(5, {instance_id: instance}))
      const del = await send(`${url}/instances/${instance}`, {method: 'DELETE'})
      assert.equal(del.status, 202, del.text)
      assert.deepEqual(Object.keys(del.json), ['deletion_id'])
      assert.equal(del.headers.location, `/deletions/${del.json.deletion_id}`)
      const record = await send(`${url}/deletions/${del.json.deletion_id}`)
      assert.equal(record.status, 200)
      assert.deepEqual(Object.keys(record.json).sort(), [
        'completed_at',
        'deletion_id',
        'events_deleted',
        'requested_at',
      ])
      assert.equal(record.json.events_deleted, 5)
      assert.equal(record.text.includes(instance), false)
      const late = await postJson(events(), batch(2, {instance_id: instance}))
      assert.deepEqual(late.json, {accepted: 0, duplicates: 0, rejected: [], suppressed: 2})
      assert.equal((await send(`${url}/instances/not-a-uuid`, {method: 'DELETE'})).status, 400)
      assert.equal((await send(`${url}/deletions/${randomUUID()}`)).status, 404)
      assert.equal((await send(`${url}/deletions/nope`)).status, 404)
    })

    it('requires the admin token for reports and answers aggregates only', async () => {
      const product = `report-${randomUUID().slice(0, 8)}`
      const instance = randomUUID()
      await postJson(events(), [
        ...batch(3, {instance_id: instance, product}),
        ...batch(1, {product, properties: {command: 'init'}}),
      ])
      const path = `${url}/report?product=${product}&by=command`
      assert.equal((await send(path)).status, 401)
      assert.equal((await send(path, {headers: {authorization: 'Bearer wrong'}})).status, 401)
      assert.equal((await send(path, {headers: {authorization: TOKEN}})).status, 401)
      const res = await send(path, {headers: {authorization: `Bearer ${TOKEN}`}})
      assert.equal(res.status, 200, res.text)
      assert.deepEqual(res.json.rows, [
        {events: 3, failures: 0, instances: 1, key: 'deploy', p50_ms: 12.1, p90_ms: 12.1, p99_ms: 12.1},
        {events: 1, failures: 0, instances: 1, key: 'init', p50_ms: 12.1, p90_ms: 12.1, p99_ms: 12.1},
      ])
      assert.equal(res.text.includes(instance), false)
      for (const bad of [
        'by=user',
        'limit=0',
        'limit=abc',
        'from=2026-13-01',
        'to=yesterday',
        'foo=1',
        'by=day&by=os',
        'by=property.',
        'from=2026-02-01&to=2026-01-01',
        'from=1999-12-31',
      ]) {
        const r = await send(`${url}/report?${bad}`, {headers: {authorization: `Bearer ${TOKEN}`}})
        assert.equal(r.status, 400, bad)
      }

      const byDay = await send(`${url}/report?by=day&from=2000-01-01&to=2100-01-01&limit=5`, {
        headers: {authorization: `Bearer ${TOKEN}`},
      })
      assert.equal(byDay.status, 200)
      assert.ok(byDay.json.rows.length > 0)

      const auth = {headers: {authorization: `Bearer ${TOKEN}`}}
      const active = await send(`${url}/report/active?period=week&product=${product}`, auth)
      assert.equal(active.status, 200, active.text)
      assert.equal(active.json.period, 'week')
      assert.equal(active.json.rows.length, 1)
      assert.equal(active.json.rows[0].instances, 2)
      assert.equal(active.json.rows[0].events, 4)
      assert.match(active.json.rows[0].period, /^\d{4}-W\d{2}$/)
      const sessions = await send(`${url}/report/sessions?product=${product}`, auth)
      assert.equal(sessions.status, 200, sessions.text)
      assert.equal(sessions.json.sessions, 4)
      assert.deepEqual(sessions.json.commands_per_session, [{commands: 1, sessions: 4}])
      assert.equal(sessions.text.includes(instance), false)
      for (const bad of ['period=year', 'foo=1', 'product=']) {
        assert.equal((await send(`${url}/report/active?${bad}`, auth)).status, 400, bad)
      }

      assert.equal((await send(`${url}/report/sessions?limit=0`, auth)).status, 400)
      // The property names custom events carry, so the dashboard can list them unasked.
      const event = `box_${randomUUID().slice(0, 8)}`
      const custom = (properties: Record<string, unknown>) => commandMessage({payload: {event, properties}})
      await postJson(events(), [custom({box: 'ubuntu', provider: 'vbox'}), custom({box: 'debian'}), custom({})])
      const properties = await send(`${url}/report/properties?event=${event}`, auth)
      assert.equal(properties.status, 200, properties.text)
      assert.deepEqual(properties.json.rows, [
        {event, events: 2, property: 'box'},
        {event, events: 1, property: 'provider'},
      ])
      assert.deepEqual((await send(`${url}/report/properties?event=command`, auth)).json.rows, [])
      for (const bad of ['foo=1', 'from=yesterday', 'event=']) {
        assert.equal((await send(`${url}/report/properties?${bad}`, auth)).status, 400, bad)
      }

      for (const path of ['/report/active', '/report/sessions', '/report/properties']) {
        assert.equal((await send(`${url}${path}`)).status, 401)
      }
    })

    it('purges and rebuilds through the admin routes, with the admin token only', async () => {
      const purge = `${url}/admin/purge`
      const body = JSON.stringify({older_than: '3650d'})
      assert.equal((await send(purge, {body})).status, 401)
      assert.equal((await send(purge, {body, headers: {authorization: 'Bearer wrong'}})).status, 401)
      const auth = {authorization: `Bearer ${TOKEN}`}
      const res = await send(purge, {body, headers: auth})
      assert.equal(res.status, 200, res.text)
      assert.equal(res.json.events, 0)
      assert.match(res.json.cutoff, /^\d{4}-/)
      for (const bad of [
        '{}',
        '{"older_than": "a year"}',
        '{"older_than": "99999999999d"}',
        '{"older_than": "1d", "deletions": 1}',
        // A misspelt option would otherwise purge without doing what was asked.
        '{"older_than": "0s", "delete": true}',
        '[{"older_than": "1d"}]',
      ]) {
        const r = await send(purge, {body: bad, headers: auth})
        assert.equal(r.status, 400, bad)
      }

      for (const [bad, said] of [
        ['{"older_than": "1d"', 'request body is not valid JSON, or has a __proto__ or constructor key'],
        [
          '{"older_than": "1d", "__proto__": {"x": 1}}',
          'request body is not valid JSON, or has a __proto__ or constructor key',
        ],
      ]) {
        const r = await send(purge, {body: bad, headers: auth})
        assert.deepEqual([r.status, r.json], [400, {error: said}], bad)
      }

      const misspelt = await send(purge, {body: '{"older_than": "0s", "delete": true}', headers: auth})
      assert.match(misspelt.json.error, /unknown field "delete".*deletions/)
      const text = await send(purge, {body: '{"older_than": "1d"}', headers: {...auth, 'content-type': 'text/plain'}})
      assert.equal(text.status, 400)
      assert.match(text.json.error, /JSON object/)

      const rebuild = await send(`${url}/admin/rebuild`, {body: '{}', headers: auth})
      assert.equal(rebuild.status, 200, rebuild.text)
      assert.equal(rebuild.json.events, await store.countEvents())
      assert.equal((await send(`${url}/admin/rebuild`, {body: '{}'})).status, 401)
      assert.equal((await send(`${url}/admin/rebuild`, {body: '{"discard_purged": true}', headers: auth})).status, 400)
      // A purge through the server: the reports drop the purged events at once.
      await postJson(events(), commandMessage())
      const stored = await store.countEvents()
      assert.notDeepEqual((await send(`${url}/report?by=product`, {headers: auth})).json.rows, [])
      // A purge goes by whole seconds of reception: once the clock is past the second of the last
      // event, "older than 0s" takes them all.
      await sleep(1005 - (Date.now() % 1000))
      const all = await send(purge, {body: '{"older_than": "0s"}', headers: auth})
      const left = await store.countEvents()
      assert.equal(all.json.events, stored, 'every event purged')
      assert.equal(left, 0)
      const rows = (await send(`${url}/report?by=product`, {headers: auth})).json.rows as {events: number}[]
      assert.equal(
        rows.reduce((n, r) => n + r.events, 0),
        left,
      )
    })

    it('answers 404 with JSON for unknown routes', async () => {
      const res = await send(`${url}/nope`)
      assert.equal(res.status, 404)
      assert.deepEqual(res.json, {error: 'not found'})
    })

    it('never logs message bodies or instance ids', async () => {
      const instance = randomUUID()
      const canaryMessage = commandMessage({instance_id: instance, properties: {command: CANARY, secret: CANARY}})
      await postJson(events(), canaryMessage)
      await postJson(events(), {...canaryMessage, unknown: CANARY})
      await send(events(), {body: `{"product": "${CANARY}", broken`})
      await send(events(), {body: gzipSync(JSON.stringify([canaryMessage])), headers: {'content-encoding': 'gzip'}})
      await send(events(), {body: `[${JSON.stringify(canaryMessage)}`, headers: {'content-encoding': 'gzip'}})
      await send(`${url}/instances/${instance}`, {method: 'DELETE'})
      await send(`${url}/report?product=${CANARY}`, {headers: {authorization: `Bearer ${TOKEN}`}})
      assert.ok(logs.text.includes('"route":"/events"'), 'requests are logged')
      assert.equal(logs.text.includes(CANARY), false)
      assert.equal(logs.text.includes(instance), false)
      assert.equal(logs.text.includes(TOKEN), false)
      for (const line of logs.text.trim().split('\n')) JSON.parse(line)
    })
  })

  describe(`report routes without an admin token (${name})`, () => {
    let store: Store
    let server: RunningServer

    before(async () => {
      store = await makeStore()
      server = await serve({logger: false, port: 0, store})
    })

    after(async () => {
      await server?.close()
      await store?.close()
    })

    it('are disabled with 403 and a clear reason', async () => {
      const res = await send(`${server.url}/report`, {headers: {authorization: 'Bearer anything'}})
      assert.equal(res.status, 403)
      assert.match(res.json.error, /disabled.*COLLECTOR_ADMIN_TOKEN/)
      assert.equal((await postJson(`${server.url}/events`, commandMessage())).status, 200)
    })
  })
}
