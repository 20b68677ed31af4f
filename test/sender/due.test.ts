// The due check the finally hook runs after queueing an event: whether to start a sender now.
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import {type Paths, telemetryPaths} from '../../src/paths.js'
import {DUE_AFTER_MS, DUE_BYTES, isDue} from '../../src/sender/start.js'

const dirs: string[] = []
after(() => {
  for (const dir of dirs) rmSync(dir, {force: true, recursive: true})
})

const NOW = Date.parse('2026-11-28T12:00:00Z')
const ago = (ms: number) => new Date(NOW - ms).toISOString()

/** Paths in a fresh directory, with `schedule` (an object, or raw text) as the sender's schedule. */
function withSchedule(schedule?: object | string): Paths {
  const dir = mkdtempSync(join(tmpdir(), 'due-'))
  dirs.push(dir)
  const paths = telemetryPaths('chef', 'CHEF', {CHEF_TELEMETRY_CACHE_DIR: dir, CHEF_TELEMETRY_CONFIG_DIR: dir})
  if (schedule !== undefined)
    writeFileSync(paths.scheduleFile, typeof schedule === 'string' ? schedule : JSON.stringify(schedule))
  return paths
}

describe('isDue', () => {
  it('is due when no sender ever ran, or the schedule file is damaged', () => {
    assert.equal(isDue(withSchedule(), 10, NOW), true)
    assert.equal(isDue(withSchedule('{"lastAttempt": '), 10, NOW), true)
  })

  it('reads a damaged schedule as no schedule: a sender starts, and no wait of years holds it back', () => {
    for (const schedule of [
      {failures: 0, lastAttempt: 'garbage'},
      {failures: 'x', lastAttempt: 7},
      {backoffUntil: '2099-01-01T00:00:00Z', failures: 3, lastAttempt: ago(DUE_AFTER_MS)},
      {backoffUntil: 'soon', failures: 3, lastAttempt: ago(DUE_AFTER_MS)},
    ]) {
      assert.equal(isDue(withSchedule(schedule), 10, NOW), true, JSON.stringify(schedule))
    }
  })

  it('starts a sender at most once a minute for a few events', () => {
    assert.equal(isDue(withSchedule({failures: 0, lastAttempt: ago(DUE_AFTER_MS - 1)}), 10, NOW), false)
    assert.equal(isDue(withSchedule({failures: 0, lastAttempt: ago(DUE_AFTER_MS)}), 10, NOW), true)
  })

  it('is due at once when enough is waiting, or a deletion request waits', () => {
    const recent = {failures: 0, lastAttempt: ago(1000)}
    assert.equal(isDue(withSchedule(recent), DUE_BYTES - 1, NOW), false)
    assert.equal(isDue(withSchedule(recent), DUE_BYTES, NOW), true)
    assert.equal(isDue(withSchedule({...recent, deletionPending: true}), 10, NOW), true)
  })

  it('is never due while backing off, however much waits', () => {
    const backingOff = {backoffUntil: ago(-1000), deletionPending: true, failures: 3, lastAttempt: ago(3_600_000)}
    assert.equal(isDue(withSchedule(backingOff), DUE_BYTES * 10, NOW), false)
    assert.equal(isDue(withSchedule({...backingOff, backoffUntil: ago(0)}), 10, NOW), true)
  })
})
