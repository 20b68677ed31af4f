import assert from 'node:assert/strict'
import fs, {mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {syncBuiltinESMExports} from 'node:module'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it, mock} from 'node:test'

import {readClaim} from '../../src/queue/claim.js'
import {appendLine, clearQueue, countLines, countPending, listSegments} from '../../src/queue/queue.js'
import {readStats} from '../../src/queue/stats.js'

const root = mkdtempSync(join(tmpdir(), 'queue-test-'))
after(() => rmSync(root, {force: true, recursive: true}))
let n = 0
const fresh = () => {
  const dir = join(root, String(n++))
  return {dir, stats: join(dir, '..', `stats-${n}.json`)}
}

describe('queue', () => {
  it('appends whole lines, creating the directory', () => {
    const {dir, stats} = fresh()
    appendLine(dir, '{"a":1}', stats)
    appendLine(dir, '{"a":2}', stats)
    assert.equal(readFileSync(join(dir, 'current.jsonl'), 'utf8'), '{"a":1}\n{"a":2}\n')
    assert.equal(countPending(dir), 2)
  })

  it('rotates into segments and drops the oldest beyond the bound, counting them', () => {
    const {dir, stats} = fresh()
    const limits = {maxBytes: 1000, segmentBytes: 200}
    const line = JSON.stringify({pad: 'x'.repeat(90)}) // 101 bytes with its newline
    for (let i = 0; i < 40; i++) appendLine(dir, line, stats, limits)
    const segments = listSegments(dir)
    const kept = segments.reduce((sum, name) => sum + readFileSync(join(dir, name)).length, 0)
    assert.ok(kept <= 1000, `kept ${kept} bytes`)
    assert.equal(
      readStats(stats).dropped + countPending(dir),
      40,
      'every event is either waiting or counted as dropped',
    )
    assert.ok(readStats(stats).dropped > 0)
  })

  it('counts lines of files with or without a final newline, and clears everything', () => {
    const {dir, stats} = fresh()
    appendLine(dir, '{}', stats)
    writeFileSync(join(dir, '000000000000001-1-0.jsonl'), '{}\n{}')
    assert.equal(countLines(join(dir, '000000000000001-1-0.jsonl')), 2)
    assert.equal(countPending(dir), 3)
    assert.equal(clearQueue(dir), 3)
    assert.deepEqual(readdirSync(dir), [])
  })
})

describe('queue stats', () => {
  it('reads damaged counts as 0 and a damaged time as none, never as they are', () => {
    const {stats} = fresh()
    writeFileSync(
      stats,
      JSON.stringify({
        dropped: 'abc',
        lastSent: 'yesterday',
        rejected: -3,
        rejectedReasons: [{count: -1, reason: 'x'}, {count: 2}, 'a string', {count: 1, reason: 'r'.repeat(500)}],
        sent: 'many',
      }),
    )
    assert.deepEqual(readStats(stats), {
      dropped: 0,
      rejected: 0,
      rejectedReasons: [{count: 1, reason: 'r'.repeat(300)}],
      sent: 0,
    })
    writeFileSync(
      stats,
      JSON.stringify({
        dropped: 2,
        lastSent: '2026-11-28T12:00:00.000Z',
        rejected: 1,
        rejectedReasons: [{count: 1, reason: 'the clock of this machine is 3 days ahead'}],
        sent: 7,
      }),
    )
    assert.deepEqual(readStats(stats), {
      dropped: 2,
      lastSent: '2026-11-28T12:00:00.000Z',
      rejected: 1,
      rejectedReasons: [{count: 1, reason: 'the clock of this machine is 3 days ahead'}],
      sent: 7,
    })
  })
})

describe('queue and a sender racing', () => {
  it('keeps a line written after the sender claimed, read and removed the file it was opened on', async () => {
    const {dir, stats} = fresh()
    const [first, second] = ['m1', 'm2'].map((id) => JSON.stringify({instance_id: 'i', message_id: id}))
    appendLine(dir, first, stats)
    // A command descheduled between its open and its write (a busy machine: longer than SETTLE_MS),
    // while the sender claims current.jsonl, reads it and removes it once sent.
    const sent: string[] = []
    const realWrite = fs.writeSync
    const raced = mock.method(fs, 'writeSync', (...args: Parameters<typeof fs.writeSync>) => {
      raced.mock.restore()
      syncBuiltinESMExports()
      const claimed = join(dir, 'claimed.jsonl')
      fs.renameSync(join(dir, 'current.jsonl'), claimed)
      sent.push(...readClaim(claimed).lines.map((l) => l.text))
      fs.rmSync(claimed)
      return realWrite(...(args as [number, string]))
    })
    syncBuiltinESMExports()
    try {
      appendLine(dir, second, stats)
    } finally {
      raced.mock.restore()
      syncBuiltinESMExports()
    }

    assert.deepEqual(sent, [first])
    assert.equal(
      readFileSync(join(dir, 'current.jsonl'), 'utf8'),
      second + '\n',
      'written again to the new current file',
    )
  })
})
