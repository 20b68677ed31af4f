// One sender per queue: the lock file, its owner, and when a lock is stale.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import {
  HEARTBEAT_MS,
  isStale,
  lockOwner,
  setOwner,
  STALE_MS,
  tryLock,
  unlock,
  waitForLock,
} from '../../src/sender/lock.js'

const dirs: string[] = []
after(() => {
  for (const dir of dirs) rmSync(dir, {force: true, recursive: true})
})

function lockFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lock-'))
  dirs.push(dir)
  // In a directory not made yet: the first taker makes it.
  return join(dir, 'cache', 'sender.lock')
}

/** The pid of a process that has exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!

describe('the sender lock', () => {
  it('is taken once: a second taker gives way while the owner lives', () => {
    const file = lockFile()
    assert.equal(tryLock(file), true)
    assert.equal(readFileSync(file, 'utf8'), String(process.pid))
    assert.equal(tryLock(file, process.pid + 1), false)
    assert.equal(lockOwner(file), process.pid)
  })

  it('is let go by its owner only', () => {
    const file = lockFile()
    tryLock(file)
    unlock(file, process.pid + 1)
    assert.ok(existsSync(file), 'another pid cannot unlock it')
    unlock(file)
    assert.equal(existsSync(file), false)
  })

  it('is handed to the sender the hook starts', () => {
    const file = lockFile()
    tryLock(file)
    setOwner(file, process.ppid)
    assert.equal(lockOwner(file), process.ppid)
    unlock(file)
    assert.ok(existsSync(file), 'no longer ours to unlock')
  })

  it('is stale at once when its owner is gone, and then taken over', () => {
    const file = lockFile()
    tryLock(file, deadPid())
    assert.equal(isStale(file), true)
    assert.equal(lockOwner(file), undefined)
    assert.equal(tryLock(file), true)
    assert.equal(readFileSync(file, 'utf8'), String(process.pid))
  })

  it('is stale when not touched for ten minutes, even with a live owner (a reused pid)', () => {
    const file = lockFile()
    tryLock(file, process.ppid)
    const now = Date.now()
    assert.equal(isStale(file, now), false)
    const old = new Date(now - STALE_MS - 1000)
    utimesSync(file, old, old)
    assert.equal(isStale(file, now), true)
  })

  it('a lock file with no pid (being written, or damaged) is stale once older than a heartbeat', () => {
    const file = lockFile()
    tryLock(file)
    writeFileSync(file, 'garbage')
    const now = Date.now()
    assert.equal(isStale(file, now), false, 'just made: its pid may be being written')
    assert.equal(tryLock(file, process.pid + 1), false)
    const old = new Date(now - HEARTBEAT_MS - 1000)
    utimesSync(file, old, old)
    assert.equal(isStale(file, now), true)
    assert.equal(tryLock(file, process.pid + 1), true, 'taken over')
  })

  it('waitForLock gives up after its time when the owner lives, and takes a free lock at once', async () => {
    const held = lockFile()
    tryLock(held, process.ppid)
    assert.equal(await waitForLock(held, 300), false)
    const free = lockFile()
    assert.equal(await waitForLock(free, 0), true)
  })
})
