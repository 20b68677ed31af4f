import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {describe, it} from 'node:test'

import {collectorDir} from '../support/child.js'

describe('SQLite shared lock', () => {
  it('keeps a process alive while it waits for the other connection to release the lock', () => {
    // Nothing else pending in this process: the wait alone must keep it running until the timeout.
    const script = `
      import {SqliteSharedLock} from './src/store/sqlite-shared-lock.ts'
      const buffer = new SharedArrayBuffer(8)
      new SqliteSharedLock(buffer, 1).set(true)
      const start = Date.now()
      await new SqliteSharedLock(buffer, 0).peerReleased(300)
      console.log('waited', Date.now() - start >= 250)`
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: collectorDir,
      encoding: 'utf8',
    })
    assert.equal(child.status, 0, child.stderr)
    assert.equal(child.stdout.trim(), 'waited true')
  })
})
