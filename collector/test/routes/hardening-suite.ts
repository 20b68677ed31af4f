/** Hostile and careless input over real HTTP, against each store: nothing of it is a store failure. */
import assert from 'node:assert/strict'
import {randomUUID} from 'node:crypto'
import {after, before, describe, it} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'

import type {Store} from '../../src/store/store.js'

import {StoreUnavailable} from '../../src/errors.js'
import {type RunningServer} from '../../src/server.js'
import {Capture, postJson, rawRequest, send} from '../support/http.js'
import {commandMessage, rubyMessage} from '../support/messages.js'
import {build, serve} from '../support/server.js'

const TOKEN = 'hardening-admin-token-0123456789abcdef'
const SECRET = 'SECRET-5e1f0c'

/** `{"a":{"a":...1...}}` nested `depth` levels, as text (JSON.stringify cannot write it). */
function nestedObject(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`
}

function levels(lines: string): number[] {
  return lines
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line).level as number)
}

export function hardeningSuite(name: string, makeStore: () => Promise<Store>): void {
  describe(`hostile input (${name})`, () => {
    let store: Store
    let server: RunningServer
    const logs = new Capture()

    before(async () => {
      store = await makeStore()
      server = await serve({
        adminToken: TOKEN,
        logger: {level: 'info', stream: logs},
        port: 0,
        requestTimeoutMs: 1500,
        store,
      })
    })

    after(async () => {
      await server?.close()
      await store?.close()
    })

    const events = () => `${server.url}/events`

    it('rejects a message nested 4,500 levels deep with a reason (400, not 503)', async () => {
      const single = await send(events(), {body: nestedObject(4500)})
      assert.equal(single.status, 400, single.text)
      assert.deepEqual(single.json.rejected, [{index: 0, reason: 'message: nested more than 32 levels deep'}])
      const arrays = await send(events(), {body: `${'['.repeat(4500)}${']'.repeat(4500)}`})
      assert.equal(arrays.status, 400, arrays.text)
      assert.match(arrays.json.rejected[0].reason, /nested more than 32 levels/)
    })

    it('rejects a message without message_id nested 3,000 deep, storing the valid ones of the batch', async () => {
      const deep = JSON.stringify(rubyMessage({payload: {event: 'x', properties: {}}})).replace(
        '"properties":{}',
        `"properties":{"deep":${nestedObject(3000)}}`,
      )
      const good = [commandMessage(), rubyMessage()]
      const before = await store.countEvents()
      const res = await send(events(), {body: `[${JSON.stringify(good[0])},${deep},${JSON.stringify(good[1])}]`})
      assert.equal(res.status, 200, res.text)
      assert.equal(res.json.accepted, 2)
      assert.deepEqual(res.json.rejected, [{index: 1, reason: 'message: nested more than 32 levels deep'}])
      assert.equal(await store.countEvents(), before + 2)
      // 32 levels are fine: message, payload, properties and 29 more.
      const fine = JSON.stringify(commandMessage()).replace('"properties":{', `"properties":{"n":${nestedObject(29)},`)
      assert.equal((await send(events(), {body: fine})).json.accepted, 1)
      const tooDeep = JSON.stringify(commandMessage()).replace(
        '"properties":{',
        `"properties":{"n":${nestedObject(30)},`,
      )
      assert.equal((await send(events(), {body: tooDeep})).status, 400)
    })

    it('rejects numbers that are not finite (1e999), naming the field', async () => {
      for (const literal of ['1e999', '-1e999']) {
        const body = JSON.stringify(commandMessage()).replace('"duration_ms":12', `"duration_ms":${literal}`)
        const res = await send(events(), {body})
        assert.equal(res.status, 400, res.text)
        assert.equal(res.json.rejected[0].reason, 'payload.properties.duration_ms: must be a finite number')
      }

      const inArray = JSON.stringify(commandMessage()).replace('"flags":[', '"flags":[1e400,')
      assert.match((await send(events(), {body: inArray})).json.rejected[0].reason, /flags\[0\]: must be a finite/)
      const top = JSON.stringify(commandMessage()).replace('"message_version":1', '"message_version":1e999')
      assert.equal((await send(events(), {body: top})).status, 400)
    })

    it('rejects timestamps before 2000, accepts 2000-01-01', async () => {
      for (const timestamp of ['0000-01-01T00:00:00Z', '1970-01-01T00:00:00Z', '1999-12-31T23:59:59.999Z']) {
        const res = await postJson(events(), commandMessage({timestamp}))
        assert.equal(res.status, 400, timestamp)
        assert.equal(res.json.rejected[0].reason, 'timestamp: before 2000-01-01')
      }

      assert.equal((await postJson(events(), commandMessage({timestamp: '2000-01-01T00:00:00Z'}))).json.accepted, 1)
    })

    it('sends nosniff on every answer, and no-store on records, reports and errors', async () => {
      const del = await send(`${server.url}/instances/${randomUUID()}`, {method: 'DELETE'})
      const answers = [
        await send(`${server.url}/healthz`),
        await postJson(events(), commandMessage()),
        await send(events(), {body: '{'}),
        del,
        await send(`${server.url}${del.headers.location}`),
        await send(`${server.url}/report`, {headers: {authorization: `Bearer ${TOKEN}`}}),
        await send(`${server.url}/report`),
        await send(`${server.url}/nope`),
      ]
      for (const res of answers) {
        assert.equal(res.headers['x-content-type-options'], 'nosniff', `${res.status} ${res.text}`)
        assert.equal(res.headers['cache-control'], 'no-store', `${res.status} ${res.text}`)
      }
    })

    it("answers fastify's and Node's own errors as {error}, never echoing the URL or headers", async () => {
      const cases: Array<[string, number]> = [
        [`GET /instances/%zz${SECRET} HTTP/1.1\r\nHost: x\r\n\r\n`, 400],
        [`GET /${SECRET} HTTP/1.1\r\nHost: x\r\n\r\n`, 404],
        [`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${SECRET}${'a'.repeat(20_000)}\r\n\r\n`, 431],
        [`${SECRET} /events\r\n\r\n`, 400],
        [
          `DELETE /instances/${randomUUID()} HTTP/1.1\r\nHost: x\r\nContent-Type: text/${SECRET}\r\nContent-Length: 2\r\n\r\nab`,
          415,
        ],
        [`POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n`, 413],
      ]
      for (const [request, status] of cases) {
        const {text} = await rawRequest(server.port, request, 1000)
        const [head, body] = text.split('\r\n\r\n')
        assert.match(head, new RegExp(`^HTTP/1.1 ${status} `), text)
        assert.match(head, /x-content-type-options: nosniff/i)
        assert.equal(typeof JSON.parse(body).error, 'string', text)
        assert.equal(text.includes(SECRET), false, text)
      }

      assert.equal(logs.text.includes(SECRET), false)
    })

    it('keeps an admin request open past the idle timeout while a long rebuild runs', async () => {
      // A rebuild of a large store runs for minutes; here one made slow, behind a 1 s idle timeout.
      const slow = new Proxy(store, {
        get(target, key) {
          if (key === 'rebuild') {
            return async (...args: Parameters<Store['rebuild']>) => {
              await sleep(2500)
              return target.rebuild(...args)
            }
          }

          const value = Reflect.get(target, key)
          return typeof value === 'function' ? value.bind(target) : value
        },
      })
      const patient = await serve({
        adminToken: TOKEN,
        logger: false,
        port: 0,
        requestTimeoutMs: 1000,
        store: slow,
      })
      try {
        const auth = {authorization: `Bearer ${TOKEN}`}
        const rebuilt = await send(`${patient.url}/admin/rebuild`, {body: '{}', headers: auth})
        assert.equal(rebuilt.status, 200, rebuilt.text)
        assert.equal(typeof rebuilt.json.events, 'number')
        // An authorized request whose body never comes keeps the timeout (the handler never runs).
        const idle = await rawRequest(
          patient.port,
          `POST /admin/rebuild HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n`,
          4000,
        )
        assert.ok(idle.closedAfterMs < 3000, `idle client held ${idle.closedAfterMs} ms`)
      } finally {
        await patient.close()
      }
    })

    it('closes a slow or idle client after the request timeout', async () => {
      // The server under test has a 1.5 s timeout; Node's default check interval (30 s) would miss it.
      const idle = await rawRequest(
        server.port,
        'POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n[',
        6000,
      )
      assert.ok(idle.closedAfterMs < 3500, `idle client held ${idle.closedAfterMs} ms`)
      const started = Date.now()
      const {text} = await new Promise<{text: string}>((resolve) => {
        // One byte every 300 ms: never idle, never done.
        const trickle = (async () => {
          const net = await import('node:net')
          const socket = net.connect(server.port, '127.0.0.1')
          let out = ''
          socket.on('data', (c) => {
            out += c
          })
          socket.on('error', () => {})
          socket.write('POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n')
          while (!socket.destroyed && Date.now() - started < 6000) {
            socket.write(' ')
            await sleep(300)
          }

          socket.destroy()
          return out
        })()
        trickle.then((out) => resolve({text: out}))
      })
      const held = Date.now() - started
      assert.ok(held < 3500, `trickling client held ${held} ms`)
      assert.match(text, /^HTTP\/1.1 408 /)
      assert.equal(text.split('\r\n\r\n')[1], '{"error":"request timeout"}')
    })

    it('logs a client that disconnects mid-body at info, not as a failure', async () => {
      const mark = logs.chunks.length
      await rawRequest(server.port, 'POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n[{"a":1},', 100)
      await sleep(300)
      const lines = logs.chunks.slice(mark).join('')
      assert.match(lines, /client disconnected/)
      assert.ok(
        levels(lines).every((level) => level <= 30),
        lines,
      )
    })
  })

  describe(`unexpected errors (${name})`, () => {
    it('answer 500 and log the stack; an unavailable store answers 503 at warn', async () => {
      const store = await makeStore()
      const logs = new Capture()
      let failure: Error = new TypeError(`cannot read properties of undefined (${SECRET})`)
      // The real store, with insert failing the way a bug or a lost database would.
      const failing = new Proxy(store, {
        get: (target, key, receiver) =>
          key === 'insert'
            ? async () => {
                throw failure
              }
            : Reflect.get(target, key, receiver),
      })
      const app = await build({logger: {level: 'info', stream: logs}, store: failing})
      try {
        const bug = await app.inject({body: JSON.stringify(commandMessage()), method: 'POST', url: '/events'})
        assert.equal(bug.statusCode, 500)
        assert.deepEqual(bug.json(), {error: 'internal error'})
        const logged = logs.text
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line))
        const error = logged.find((l) => l.msg === 'request failed')
        assert.equal(error.level, 50)
        assert.equal(error.errName, 'TypeError')
        assert.match(error.stack, /at /)
        // The message can quote data: only the stack frames are logged.
        assert.equal(logs.text.includes(SECRET), false)

        failure = new StoreUnavailable('the store is locked by another process')
        const busy = await app.inject({body: JSON.stringify(commandMessage()), method: 'POST', url: '/events'})
        assert.equal(busy.statusCode, 503)
        assert.match(busy.json().error, /retry later/)
        assert.ok(logs.text.includes('"level":40,'))
      } finally {
        await app.close()
        await store.close()
      }
    })
  })
}
