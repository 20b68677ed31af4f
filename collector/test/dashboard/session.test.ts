/** The dashboard's sign-in, cookie and origin rules, over real HTTP to a collector on port 0. */
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import type {Store} from '../../src/store/store.js'

import {parseTrustProxy} from '../../src/dashboard/trust-proxy.js'
import {type RunningServer} from '../../src/server.js'
import {openStore} from '../../src/store/open.js'
import {send} from '../support/http.js'
import {serve} from '../support/server.js'

const TOKEN = 'dashboard-test-admin-token-0123456789abcdef'

function login(url: string, token: string, headers: Record<string, string> = {}) {
  return send(`${url}/login`, {
    body: new URLSearchParams({token}).toString(),
    headers: {'content-type': 'application/x-www-form-urlencoded', ...headers},
    method: 'POST',
  })
}

function sessionCookie(setCookie: string | string[] | undefined): string {
  const line = Array.isArray(setCookie) ? setCookie[0] : setCookie
  assert.ok(line, 'a Set-Cookie header')
  return line.split(';')[0]
}

const fromPage = (url: string) => ({origin: url, 'sec-fetch-site': 'same-origin', 'x-telemetry-dashboard': '1'})

describe('dashboard sign-in', () => {
  const dir = mkdtempSync(join(tmpdir(), 'collector-dashboard-'))
  let store: Store
  let server: RunningServer

  before(async () => {
    store = await openStore(join(dir, 'session.db'))
    // These tests make more refused requests than the failed-authentication limit allows one address
    // (test/routes/rate-limits.test.ts covers that limit); the sign-in route's own limit stays on.
    server = await serve({adminToken: TOKEN, logger: false, port: 0, rateLimits: {failedAuth: false}, store})
  })

  after(async () => {
    await server?.close()
    await store?.close()
    rmSync(dir, {force: true, recursive: true})
  })

  it('shows the sign-in page, and no data, without a session', async () => {
    const page = await send(`${server.url}/`)
    assert.equal(page.status, 200)
    assert.match(String(page.headers['content-type']), /text\/html/)
    assert.match(page.text, /type="password"/)
    assert.doesNotMatch(page.text, /app\.js/)
    assert.match(String(page.headers['content-security-policy']), /script-src 'self'/)
    assert.equal(page.headers['cache-control'], 'no-store')
    const data = await send(`${server.url}/report?by=command`, {headers: fromPage(server.url)})
    assert.equal(data.status, 401)
  })

  it('refuses a wrong token with 401 and no cookie', async () => {
    const res = await login(server.url, 'not-the-token')
    assert.equal(res.status, 401)
    assert.equal(res.headers['set-cookie'], undefined)
    assert.match(res.text, /not the admin token/)
    assert.doesNotMatch(res.text, /not-the-token/)
  })

  it('refuses a sign-in form over 4 KiB with 413, naming that limit', async () => {
    const res = await login(server.url, 'a'.repeat(5000))
    assert.equal(res.status, 413)
    assert.deepEqual(res.json, {error: 'request body is larger than 4096 bytes'})
  })

  it('signs in with the token: HttpOnly, SameSite=Strict, 12 h, signed; the page and the report open', async () => {
    const res = await login(server.url, TOKEN)
    assert.equal(res.status, 303)
    assert.equal(res.headers.location, './')
    const line = String(res.headers['set-cookie'])
    assert.match(line, /^telemetry_session=[\w-]+\.\d+\.[\w-]+; /)
    assert.match(line, /; HttpOnly/)
    assert.match(line, /; SameSite=Strict/)
    assert.match(line, /; Path=\//)
    assert.match(line, /; Max-Age=43200/)
    assert.doesNotMatch(line, /Secure/, 'plain http: not Secure')
    const expires = Date.parse(/Expires=([^;]+)/.exec(line)![1])
    assert.ok(Math.abs(expires - (Date.now() + 12 * 3600 * 1000)) < 5000)
    assert.ok(!line.includes(TOKEN))

    const cookie = sessionCookie(res.headers['set-cookie'])
    const app = await send(`${server.url}/`, {headers: {cookie}})
    assert.equal(app.status, 200)
    assert.match(app.text, /dashboard\/app\.js/)
    const data = await send(`${server.url}/report?by=command`, {headers: {cookie, ...fromPage(server.url)}})
    assert.equal(data.status, 200, data.text)
    assert.deepEqual(data.json.rows, [])
  })

  it('accepts the cookie on report routes only from its own origin and page', async () => {
    const cookie = sessionCookie((await login(server.url, TOKEN)).headers['set-cookie'])
    const report = (headers: Record<string, string>) =>
      send(`${server.url}/report?by=command`, {headers: {cookie, ...headers}})
    assert.equal((await report({...fromPage(server.url), 'sec-fetch-site': 'same-site'})).status, 401)
    assert.equal((await report({...fromPage(server.url), 'sec-fetch-site': 'cross-site'})).status, 401)
    assert.equal((await report({...fromPage(server.url), origin: 'http://evil.example'})).status, 401)
    // Without the page's header (a plain link, an <img>, a form): refused even with no fetch metadata.
    assert.equal((await report({})).status, 401)
    assert.equal((await report({'x-telemetry-dashboard': '1'})).status, 200)
  })

  it('refuses forged, tampered and expired cookies', async () => {
    const cookie = sessionCookie((await login(server.url, TOKEN)).headers['set-cookie'])
    const [name, value] = cookie.split('=')
    const [id, expires, mac] = value.split('.')
    const tries = [
      `${name}=${id}.${Number(expires) + 1000}.${mac}`, // longer life, same MAC
      `${name}=${id}.${expires}.${mac.slice(0, -2)}AA`,
      `${name}=${id}.${expires}`,
      `${name}=${'x'.repeat(500)}`,
      `${name}=${id}.1000.${mac}`,
    ]
    for (const forged of tries) {
      const res = await send(`${server.url}/report?by=command`, {headers: {cookie: forged, ...fromPage(server.url)}})
      assert.equal(res.status, 401, forged)
      const page = await send(`${server.url}/`, {headers: {cookie: forged}})
      assert.doesNotMatch(page.text, /app\.js/)
    }
  })

  it('does not accept a cookie of another collector (its own random salt)', async () => {
    const otherStore = await openStore(join(dir, 'other.db'))
    const other = await serve({adminToken: TOKEN, logger: false, port: 0, store: otherStore})
    try {
      const cookie = sessionCookie((await login(other.url, TOKEN)).headers['set-cookie'])
      const res = await send(`${server.url}/report?by=command`, {headers: {cookie, ...fromPage(server.url)}})
      assert.equal(res.status, 401)
    } finally {
      await other.close()
      await otherStore.close()
    }
  })

  it('signs out: the cookie is cleared and refused afterwards, even when replayed', async () => {
    const cookie = sessionCookie((await login(server.url, TOKEN)).headers['set-cookie'])
    const out = await send(`${server.url}/logout`, {headers: {cookie, origin: server.url}, method: 'POST'})
    assert.equal(out.status, 303)
    assert.match(String(out.headers['set-cookie']), /^telemetry_session=; .*Max-Age=0/)
    const res = await send(`${server.url}/report?by=command`, {headers: {cookie, ...fromPage(server.url)}})
    assert.equal(res.status, 401)
  })

  it('refuses a sign-in posted from another origin', async () => {
    const res = await login(server.url, TOKEN, {origin: 'http://evil.example'})
    assert.equal(res.status, 403)
    assert.equal(res.headers['set-cookie'], undefined)
  })

  it('the bearer token still opens the report routes', async () => {
    const res = await send(`${server.url}/report?by=command`, {headers: {authorization: `Bearer ${TOKEN}`}})
    assert.equal(res.status, 200)
  })

  it('serves the page files from the collector, never from elsewhere', async () => {
    const js = await send(`${server.url}/dashboard/app.js`)
    assert.equal(js.status, 200)
    assert.match(String(js.headers['content-type']), /javascript/)
    assert.doesNotMatch(js.text, /https?:\/\/(cdn|unpkg|jsdelivr)/)
    const css = await send(`${server.url}/dashboard/app.css`)
    assert.equal(css.status, 200)
    assert.equal((await send(`${server.url}/dashboard/../package.json`)).status, 404)
    // Compressed by the build: what a browser downloads.
    const gzip = await send(`${server.url}/dashboard/app.js`, {headers: {'accept-encoding': 'gzip'}})
    assert.equal(gzip.headers['content-encoding'], 'gzip')
    const brotli = await send(`${server.url}/dashboard/app.js`, {headers: {'accept-encoding': 'br, gzip'}})
    assert.equal(brotli.headers['content-encoding'], 'br')
    // The budget: the page's JS and CSS at most 300 KB gzip.
    const gzipCss = await send(`${server.url}/dashboard/app.css`, {headers: {'accept-encoding': 'gzip'}})
    const weight = Number(gzip.headers['content-length']) + Number(gzipCss.headers['content-length'])
    assert.ok(weight > 10_000 && weight <= 300_000, `page weight ${weight} bytes gzip`)
  })
})

describe('dashboard sign-in limits', () => {
  const dir = mkdtempSync(join(tmpdir(), 'collector-dashboard-'))

  after(() => rmSync(dir, {force: true, recursive: true}))

  it('answers 429 with Retry-After after 10 wrong tokens from one address; right ones do not count', async () => {
    const store = await openStore(join(dir, 'limit.db'))
    const server = await serve({adminToken: TOKEN, logger: false, port: 0, store})
    try {
      for (let i = 0; i < 3; i++) assert.equal((await login(server.url, TOKEN)).status, 303)
      for (let i = 0; i < 10; i++) assert.equal((await login(server.url, `wrong-${i}`)).status, 401)
      const limited = await login(server.url, 'wrong-again')
      assert.equal(limited.status, 429)
      assert.ok(Number(limited.headers['retry-after']) > 0)
      assert.match(limited.text, /Too many wrong tokens/)
      // Even the right token waits: a guesser cannot tell a hit while limited.
      assert.equal((await login(server.url, TOKEN)).status, 429)
    } finally {
      await server.close()
      await store.close()
    }
  })

  it('counts wrong tokens at sign-in and as Authorization: Bearer against one allowance', async () => {
    const store = await openStore(join(dir, 'shared.db'))
    const server = await serve({adminToken: TOKEN, logger: false, port: 0, store})
    const bearer = (token: string) =>
      send(`${server.url}/report?by=command`, {headers: {authorization: `Bearer ${token}`}})
    try {
      for (let i = 0; i < 5; i++) assert.equal((await bearer(`wrong-${i}`)).status, 401)
      for (let i = 0; i < 5; i++) assert.equal((await login(server.url, `wrong-${i}`)).status, 401)
      // Ten failures in all: both doors are shut, for the right token too.
      const form = await login(server.url, TOKEN)
      assert.equal(form.status, 429)
      assert.ok(Number(form.headers['retry-after']) > 60, "the window is the admin routes' 15 minutes")
      assert.equal((await bearer(TOKEN)).status, 429)
    } finally {
      await server.close()
      await store.close()
    }
  })

  it('marks the cookie Secure when the browser talks https through a trusted proxy', async () => {
    const store = await openStore(join(dir, 'proxy.db'))
    const server = await serve({adminToken: TOKEN, logger: false, port: 0, store, trustProxy: '127.0.0.1'})
    try {
      const res = await login(server.url, TOKEN, {'x-forwarded-proto': 'https'})
      assert.match(String(res.headers['set-cookie']), /; Secure/)
      const plain = await login(server.url, TOKEN)
      assert.doesNotMatch(String(plain.headers['set-cookie']), /Secure/)
    } finally {
      await server.close()
      await store.close()
    }
  })

  it('reads COLLECTOR_TRUST_PROXY', () => {
    assert.equal(parseTrustProxy(), false)
    assert.equal(parseTrustProxy(' '), false)
    assert.equal(parseTrustProxy('0'), false)
    assert.equal(parseTrustProxy('true'), true)
    assert.equal(parseTrustProxy('127.0.0.1, 10.0.0.0/8'), '127.0.0.1, 10.0.0.0/8')
  })

  it('without an admin token the dashboard says it is disabled and sets no cookie', async () => {
    const store = await openStore(join(dir, 'off.db'))
    const server = await serve({logger: false, port: 0, store})
    try {
      const page = await send(`${server.url}/`)
      assert.equal(page.status, 503)
      assert.match(page.text, /dashboard is disabled/)
      const res = await login(server.url, 'anything')
      assert.equal(res.status, 503)
      assert.equal(res.headers['set-cookie'], undefined)
    } finally {
      await server.close()
      await store.close()
    }
  })
})
