// The id of a CI job's run, where CI runs with no shared config (docs/decision.md, rule `ci`).
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import {ciNoticeLine, ciRun, isCiRunId} from '../../src/runtime/ci-run.js'
import {SESSION_IDLE_MS} from '../../src/runtime/session.js'

const dirs: string[] = []
after(() => {
  for (const dir of dirs) rmSync(dir, {force: true, recursive: true})
})

function runFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ci-run-'))
  dirs.push(dir)
  return join(dir, 'cache', 'ci-run.json')
}

const CI_RUN_ID = /^[\da-f]{8}-[\da-f]{4}-8[\da-f]{3}-[89ab][\da-f]{3}-[\da-f]{12}$/

describe('ciRun', () => {
  it('keeps one id while the run variables stay the same, and keeps only a hash of them', async () => {
    const file = runFile()
    const env = {GITHUB_JOB: 'build', GITHUB_RUN_ID: '4242424242'}
    const first = await ciRun(file, env)
    assert.ok(first?.started)
    assert.match(first.id, CI_RUN_ID)
    assert.ok(isCiRunId(first.id))
    // Hours later, the same job's run: still the same (a long build step is not a new run).
    assert.deepEqual(await ciRun(file, env, Date.now() + 5 * SESSION_IDLE_MS), {id: first.id, started: false})
    assert.ok(!readFileSync(file, 'utf8').includes('4242424242'), 'the run id is kept hashed')
    const next = await ciRun(file, {...env, GITHUB_RUN_ID: '4242424243'})
    assert.ok(next?.started)
    assert.notEqual(next.id, first.id)
  })

  it('without run variables, a run ends after ten minutes without a command', async () => {
    const file = runFile()
    const first = await ciRun(file, {})
    assert.deepEqual(await ciRun(file, {}, Date.now() + SESSION_IDLE_MS / 2), {id: first!.id, started: false})
    const later = await ciRun(file, {}, Date.now() + SESSION_IDLE_MS / 2 + SESSION_IDLE_MS + 1000)
    assert.ok(later?.started)
    assert.notEqual(later.id, first!.id)
  })

  it('replaces a damaged file, and gives up where the cache cannot be written', async () => {
    const file = runFile()
    await ciRun(file, {})
    writeFileSync(file, '{"id": "not-a-uuid"')
    const run = await ciRun(file, {})
    assert.ok(run?.started)
    assert.match(run.id, CI_RUN_ID)

    const blocked = join(runFile(), '..')
    rmSync(blocked, {force: true, recursive: true})
    writeFileSync(blocked, 'a file where the cache directory should be')
    assert.equal(await ciRun(join(blocked, 'ci-run.json'), {}), undefined)
  })
})

describe('ciNoticeLine', () => {
  it('is one line, names the service when known, and how to opt out', () => {
    const line = ciNoticeLine('mycli', 'GitHub Actions', 'https://example.com/privacy')
    assert.match(line, /^[^\n]+\n$/)
    assert.match(line, /this CI job \(GitHub Actions\) .*DO_NOT_TRACK=1.*https:\/\/example\.com\/privacy/)
    assert.doesNotMatch(ciNoticeLine('mycli', 'unknown'), /unknown|privacy/)
  })
})
