/** Rate limits per client address (127.0.0.2, .3, ... are other clients: all of 127/8 is loopback). */
import assert from 'node:assert/strict'
import {randomUUID} from 'node:crypto'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'

import type {Store} from '../../src/store/store.js'

import {DEFAULT_RATE_LIMITS, parseRateLimit} from '../../src/rate-limits.js'
import {type RunningServer, type StartServerOptions} from '../../src/server.js'
import {openStore} from '../../src/store/open.js'
import {Capture, type HttpResponse, postJson, send} from '../support/http.js'
import {commandMessage} from '../support/messages.js'
import {build, serve} from '../support/server.js'

const TOKEN = 'rate-limit-admin-token-0123456789abcdef'
const dir = mkdtempSync(join(tmpdir(), 'collector-limits-'))
after(() => rmSync(dir, {force: true, recursive: true}))
let n = 0

async function withServer(
  options: Partial<StartServerOptions>,
  fn: (server: RunningServer) => Promise<void>,
): Promise<void> {
  const store: Store = await openStore(join(dir, `t${++n}.db`))
  const server = await serve({adminToken: TOKEN, logger: false, port: 0, store, ...options})
  try {
    await fn(server)
  } finally {
    await server.close()
    await store.close()
  }
}

function assertLimited(res: HttpResponse, maxSeconds: number): void {
  assert.equal(res.status, 429, res.text)
  const retryAfter = Number(res.headers['retry-after'])
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= maxSeconds, `Retry-After ${retryAfter}`)
  assert.match(res.json.error, /too many .*retry in \d+ s/)
}

const remove = (server: RunningServer, localAddress?: string) =>
  send(`${server.url}/instances/${randomUUID()}`, {localAddress, method: 'DELETE'})
const report = (server: RunningServer, token: string | undefined, localAddress?: string) =>
  send(`${server.url}/report`, {headers: token ? {authorization: `Bearer ${token}`} : {}, localAddress})

const from = (server: RunningServer, forwardedFor: string) =>
  send(`${server.url}/instances/${randomUUID()}`, {headers: {'x-forwarded-for': forwardedFor}, method: 'DELETE'})

describe('rate limits', () => {
  it('limit deletions per client address, with 429 and Retry-After, until the window passes', async () => {
    await withServer({rateLimits: {deletions: {max: 3, windowMs: 2000}}}, async (server) => {
      for (let i = 0; i < 3; i++) assert.equal((await remove(server)).status, 202)
      assertLimited(await remove(server), 2)
      // Another address is not affected.
      assert.equal((await remove(server, '127.0.0.2')).status, 202)
      // Ingest is counted separately.
      assert.equal((await postJson(`${server.url}/events`, commandMessage())).status, 200)
      await sleep(2100)
      assert.equal((await remove(server)).status, 202)
    })
  })

  it('limit failed authentications per address; past the limit even the right token waits', async () => {
    await withServer({rateLimits: {failedAuth: {max: 3, windowMs: 60_000}}}, async (server) => {
      assert.equal((await report(server, 'wrong-token')).status, 401)
      assert.equal((await report(server)).status, 401)
      assert.equal((await report(server, TOKEN.slice(0, -1))).status, 401)
      assertLimited(await report(server, 'wrong-token'), 60)
      // A guess that happens to be right learns nothing.
      assertLimited(await report(server, TOKEN), 60)
      // Another address with the right token, and many right tokens, are never limited.
      for (let i = 0; i < 40; i++) assert.equal((await report(server, TOKEN, '127.0.0.3')).status, 200)
      // Deletions from the blocked address are a different limit.
      assert.equal((await remove(server)).status, 202)
    })
  })

  it('limit ingest per address when configured', async () => {
    await withServer({rateLimits: {events: {max: 2, windowMs: 60_000}}}, async (server) => {
      const post = (localAddress?: string) =>
        send(`${server.url}/events`, {body: JSON.stringify(commandMessage()), localAddress})
      assert.equal((await post()).status, 200)
      assert.equal((await post()).status, 200)
      assertLimited(await post(), 60)
      assert.equal((await post('127.0.0.4')).status, 200)
    })
  })

  it('apply the documented defaults', async () => {
    assert.deepEqual(DEFAULT_RATE_LIMITS, {
      deletions: {max: 30, windowMs: 60_000},
      events: {max: 1200, windowMs: 60_000},
      failedAuth: {max: 10, windowMs: 900_000},
    })
    await withServer({}, async (server) => {
      for (let i = 0; i < 30; i++) assert.equal((await remove(server, '127.0.0.5')).status, 202)
      assertLimited(await remove(server, '127.0.0.5'), 60)
      for (let i = 0; i < 10; i++) assert.equal((await report(server, 'nope', '127.0.0.6')).status, 401)
      assertLimited(await report(server, 'nope', '127.0.0.6'), 900)
    })
  })

  it('use X-Forwarded-For only from a trusted proxy, so clients cannot choose their address', async () => {
    const limits = {deletions: {max: 1, windowMs: 60_000}}
    await withServer({rateLimits: limits}, async (server) => {
      assert.equal((await from(server, '10.0.0.1')).status, 202)
      assert.equal((await from(server, '10.0.0.2')).status, 429, 'a forged header changes nothing')
    })
    await withServer({rateLimits: limits, trustProxy: '10.9.9.9, 127.0.0.1'}, async (server) => {
      assert.equal((await from(server, '10.0.0.1')).status, 202)
      assert.equal((await from(server, '10.0.0.2')).status, 202, 'behind the proxy, clients are told apart')
      assert.equal((await from(server, '10.0.0.1')).status, 429)
    })
  })

  it('never log client addresses', async () => {
    const logs = new Capture()
    await withServer(
      {logger: {level: 'debug', stream: logs}, rateLimits: {deletions: {max: 1, windowMs: 60_000}}},
      async (server) => {
        for (let i = 0; i < 3; i++) await remove(server, '127.0.0.7')
        for (let i = 0; i < 3; i++) await report(server, 'nope', '127.0.0.7')
      },
    )
    assert.match(logs.text, /"statusCode":429/)
    assert.equal(logs.text.includes('127.0.0.7'), false)
  })

  it('can be turned off', async () => {
    await withServer({rateLimits: {deletions: false, failedAuth: false}}, async (server) => {
      for (let i = 0; i < 40; i++) assert.equal((await remove(server)).status, 202)
      for (let i = 0; i < 15; i++) assert.equal((await report(server, 'nope')).status, 401)
    })
  })

  it('are parsed from <max>/<window> or off, and refuse anything else', () => {
    assert.deepEqual(parseRateLimit('30/1m'), {max: 30, windowMs: 60_000})
    assert.deepEqual(parseRateLimit(' 10 / 15m '), {max: 10, windowMs: 900_000})
    assert.deepEqual(parseRateLimit('5/2h'), {max: 5, windowMs: 7_200_000})
    assert.equal(parseRateLimit('off'), false)
    for (const bad of ['', '30', '30/', '/1m', '0/1m', '-1/1m', '1/0s', '1/2d', '1e3/1m', '30/1y', '1/48h']) {
      assert.throws(() => parseRateLimit(bad), /invalid rate limit .*<max>\/<window>/, bad)
    }
  })
})

describe('admin token', () => {
  it('is refused when shorter than 32 characters', async () => {
    const store = await openStore(join(dir, 'token.db'))
    try {
      for (const token of ['x', 'a'.repeat(31), '']) {
        await assert.rejects(build({adminToken: token, logger: false, store}), /at least 32/)
      }

      const app = await build({adminToken: 'a'.repeat(32), logger: false, store})
      await app.close()
    } finally {
      await store.close()
    }
  })
})
