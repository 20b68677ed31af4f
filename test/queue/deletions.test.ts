import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import {completeDeletion, readDeletions, requestDeletion} from '../../src/queue/deletions.js'

const dir = mkdtempSync(join(tmpdir(), 'telemetry-deletions-'))
after(() => rmSync(dir, {force: true, recursive: true}))

const A = '0b0b0b0b-1c1c-4d4d-8e8e-0f0f0f0f0f0f'
const B = '1a1a1a1a-2b2b-4c4c-9d9d-3e3e3e3e3e3e'

describe('deletions file', () => {
  it('keeps requests until completed, and every retired id', () => {
    const file = join(dir, 'round-trip.json')
    requestDeletion(file, A, new Date('2026-11-01T00:00:00Z'))
    requestDeletion(file, B, new Date('2026-11-02T00:00:00Z'))
    completeDeletion(file, A)
    assert.deepEqual(readDeletions(file), {
      pending: [{instanceId: B, requestedAt: '2026-11-02T00:00:00.000Z'}],
      retired: [A, B],
    })
  })

  it('drops damaged entries (their ids would go into a URL) and keeps the others', () => {
    const file = join(dir, 'damaged.json')
    const pending = [
      1,
      null,
      'x',
      {instanceId: '../../x?y', requestedAt: 'now'},
      {instanceId: A},
      {instanceId: B, requestedAt: 'then'},
    ]
    writeFileSync(file, JSON.stringify({pending, retired: [A, 7, '../x', null]}))
    assert.deepEqual(readDeletions(file), {pending: [{instanceId: B, requestedAt: 'then'}], retired: [A]})
    requestDeletion(file, A, new Date('2026-11-03T00:00:00Z'))
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')).pending, [
      {instanceId: B, requestedAt: 'then'},
      {instanceId: A, requestedAt: '2026-11-03T00:00:00.000Z'},
    ])
  })

  it('reads a missing, empty or non-JSON file as no deletions', () => {
    for (const text of [undefined, '', '{', 'null', '[]', '{"pending": {}}']) {
      const file = join(dir, `file-${String(text?.length)}.json`)
      if (text !== undefined) writeFileSync(file, text)
      assert.deepEqual(readDeletions(file), {pending: [], retired: []}, String(text))
    }
  })
})
