// Sessions: commands less than ten minutes apart share a session id.
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import {currentSessionId, SESSION_IDLE_MS} from '../../src/runtime/session.js'

const dirs: string[] = []
after(() => {
  for (const dir of dirs) rmSync(dir, {force: true, recursive: true})
})

function sessionFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'session-'))
  dirs.push(dir)
  return join(dir, 'session')
}

const UUID = /^[\da-f]{8}-[\da-f]{4}-4[\da-f]{3}-[89ab][\da-f]{3}-[\da-f]{12}$/
const T0 = Date.parse('2026-11-28T12:00:00Z')

describe('currentSessionId', () => {
  it('starts a session, continues it within ten minutes of the last command, and starts a new one after', async () => {
    const file = sessionFile()
    const first = await currentSessionId(file, T0)
    assert.match(first, UUID)
    assert.equal(readFileSync(file, 'utf8'), first)
    // Each command moves the end of the session on: 9 minutes after 9 minutes is still the same session.
    assert.equal(await currentSessionId(file, T0 + SESSION_IDLE_MS - 60_000), first)
    assert.equal(statSync(file).mtimeMs, T0 + SESSION_IDLE_MS - 60_000)
    assert.equal(await currentSessionId(file, T0 + 2 * SESSION_IDLE_MS - 120_000), first)
    const next = await currentSessionId(file, T0 + 3 * SESSION_IDLE_MS)
    assert.match(next, UUID)
    assert.notEqual(next, first)
  })

  it('starts a new session when the file holds anything but an id', async () => {
    const file = sessionFile()
    writeFileSync(file, 'not-a-uuid\n')
    const id = await currentSessionId(file)
    assert.match(id, UUID)
    assert.equal(readFileSync(file, 'utf8'), id)
  })

  it('still gives an id when the cache cannot be written (each command is then a session of its own)', async () => {
    // Under a regular file: no directory can be made there, not even by root.
    const blocker = sessionFile()
    writeFileSync(blocker, '')
    const file = join(blocker, 'session')
    const first = await currentSessionId(file)
    const second = await currentSessionId(file)
    assert.match(first, UUID)
    assert.notEqual(first, second)
  })
})
