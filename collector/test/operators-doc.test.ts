/** docs/operators.md states the limits operators rely on: it must agree with the code. */
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import {MAX_DEPTH, MIN_ADMIN_TOKEN_LENGTH, REQUEST_TIMEOUT_MS} from '../src/limits.js'
import {DEFAULT_RATE_LIMITS} from '../src/rate-limits.js'
import {openStore} from '../src/store/open.js'
import {build} from './support/server.js'

const doc = readFileSync(new URL('../../docs/operators.md', import.meta.url), 'utf8').replaceAll(/\s+/g, ' ')
const dir = mkdtempSync(join(tmpdir(), 'collector-doc-'))
after(() => rmSync(dir, {force: true, recursive: true}))

describe('docs/operators.md', () => {
  it('gives the request timeout the server applies', async () => {
    assert.equal(REQUEST_TIMEOUT_MS, 60_000)
    assert.ok(doc.includes('within 60 s'))
    assert.ok(doc.includes('disconnected at 60 s'))
    const store = await openStore(join(dir, 'doc.db'))
    const app = await build({logger: false, store})
    try {
      assert.equal(app.server.requestTimeout, REQUEST_TIMEOUT_MS)
      assert.equal(app.server.headersTimeout, REQUEST_TIMEOUT_MS)
      assert.equal(app.server.timeout, REQUEST_TIMEOUT_MS)
    } finally {
      await app.close()
      await store.close()
    }
  })

  it('gives the default rate limits, the token length and the nesting depth', () => {
    assert.deepEqual(DEFAULT_RATE_LIMITS, {
      deletions: {max: 30, windowMs: 60_000},
      events: {max: 1200, windowMs: 60_000},
      failedAuth: {max: 10, windowMs: 900_000},
    })
    for (const row of [
      '| `DELETE /instances/:id` | 30 a minute |',
      '| `POST /events` | 1200 a minute',
      '| failed admin authentications (bearer token and dashboard sign-in together) | 10 in 15 minutes |',
    ]) {
      assert.ok(doc.includes(row), row)
    }

    assert.ok(doc.includes(`at least ${MIN_ADMIN_TOKEN_LENGTH} characters`))
    assert.ok(doc.includes(`more than ${MAX_DEPTH} levels deep`))
  })
})
