import assert from 'node:assert/strict'
import {existsSync} from 'node:fs'
import {after, describe, it} from 'node:test'

import {initialise, runCli} from '../helpers/cli.js'
import {debugEvents} from '../helpers/process.js'
import {cleanSandboxes, makeSandbox, queuedMessages} from '../helpers/sandbox.js'
import {StubCollector} from '../helpers/stub-collector.js'

const UUID = /^[\da-f]{8}-[\da-f]{4}-[\da-f]{4}-[89ab][\da-f]{3}-[\da-f]{12}$/
/** A CI run's id: a UUID of version 8, where a person's instance id is version 4. */
const CI_RUN_ID = /^[\da-f]{8}-[\da-f]{4}-8[\da-f]{3}-[89ab][\da-f]{3}-[\da-f]{12}$/

/** A GitHub Actions job, as its runner sets the variables (the sandbox scrubs the real ones). */
const githubJob = (runId: string) => ({
  CI: 'true',
  GITHUB_ACTIONS: 'true',
  GITHUB_JOB: 'build',
  GITHUB_RUN_ATTEMPT: '1',
  GITHUB_RUN_ID: runId,
})

const stubs: StubCollector[] = []
after(async () => {
  for (const stub of stubs.splice(0)) await stub.close()
  cleanSandboxes()
})

describe('CI with no shared config (a fresh home on every run)', () => {
  it('shows one line once per run, writes no config, and records later commands under the run id', async () => {
    const sandbox = makeSandbox()
    const env = githubJob('7001')
    const first = await runCli(sandbox, ['hello'], {env})
    assert.equal(first.code, 0)
    assert.equal(first.stdout, 'hello\n')
    assert.match(first.stderr, /^[^\n]+\n$/, `the notice is one line:\n${first.stderr}`)
    assert.match(first.stderr, /mycli sends anonymous usage data from this CI job \(GitHub Actions\)/)
    assert.match(first.stderr, /set DO_NOT_TRACK=1 to opt out; privacy policy: https:\/\/example\.com\/privacy/)
    assert.equal(existsSync(sandbox.configFile), false, 'no config is written in CI')
    assert.deepEqual(queuedMessages(sandbox), [], 'the command that shows the notice records nothing')

    const second = await runCli(sandbox, ['hello'], {env})
    const third = await runCli(sandbox, ['slow', '--ms', '1'], {env})
    assert.equal(second.stderr + third.stderr, '', 'the notice is shown once per run')
    assert.equal(existsSync(sandbox.configFile), false)
    const messages = queuedMessages(sandbox)
    assert.equal(messages.length, 2)
    const [id] = new Set(messages.map((m) => m.instance_id))
    assert.match(id, CI_RUN_ID)
    for (const message of messages) {
      assert.equal(message.instance_id, id)
      assert.equal(message.payload.anonymousId, id)
      assert.equal(message.payload.properties.ci, 'GitHub Actions')
    }

    const status = await runCli(sandbox, ['telemetry', 'status', '--json'], {env})
    const result = JSON.parse(status.stdout)
    assert.deepEqual([result.enabled, result.rule, result.instanceId], [true, 'ci', null])
    assert.match(result.reason, /running in CI \(GitHub Actions\) with no shared config/)
    const human = await runCli(sandbox, ['telemetry', 'status'], {env})
    assert.match(human.stdout, /Instance id: {3}\(none: this CI job's events carry an id of its run\)/)
    assert.equal(existsSync(sandbox.configFile), false)
  })

  it('starts a new run, with a new id and the line again, when the CI run changes on a kept home', async () => {
    const sandbox = makeSandbox()
    await runCli(sandbox, ['hello'], {env: githubJob('8001')})
    await runCli(sandbox, ['hello'], {env: githubJob('8001')})
    const next = await runCli(sandbox, ['hello'], {env: githubJob('8002')})
    assert.match(next.stderr, /^mycli sends anonymous usage data from this CI job[^\n]*\n$/)
    await runCli(sandbox, ['hello'], {env: githubJob('8002')})
    const ids = queuedMessages(sandbox).map((m) => m.instance_id)
    assert.equal(ids.length, 2)
    assert.notEqual(ids[0], ids[1])
    for (const id of ids) assert.match(id, CI_RUN_ID)
  })

  it('keeps one run for commands that follow each other where the CI service names no run', async () => {
    const sandbox = makeSandbox()
    const env = {CI: 'true'}
    assert.match(
      (await runCli(sandbox, ['hello'], {env})).stderr,
      /^mycli sends [^\n]+ from this CI job under an id of this run/,
    )
    await runCli(sandbox, ['hello'], {env})
    await runCli(sandbox, ['hello'], {env})
    const messages = queuedMessages(sandbox)
    assert.equal(messages.length, 2)
    assert.equal(messages[0].instance_id, messages[1].instance_id)
    assert.equal(messages[0].payload.properties.ci, 'unknown')
  })

  it('shows the line once when a job starts ten commands at once', async () => {
    const sandbox = makeSandbox()
    const env = githubJob('9001')
    const runs = await Promise.all(Array.from({length: 10}, () => runCli(sandbox, ['hello'], {env})))
    assert.deepEqual(
      runs.map((r) => r.code),
      Array.from({length: 10}, () => 0),
    )
    const lines = runs.map((r) => r.stderr).join('')
    assert.equal(lines.split('\n').filter(Boolean).length, 1, lines)
    const ids = new Set(queuedMessages(sandbox).map((m) => m.instance_id))
    assert.equal(queuedMessages(sandbox).length, 9)
    assert.equal(ids.size, 1)
    assert.equal(existsSync(sandbox.configFile), false)
  })

  it('are delivered under the run id', async () => {
    const stub = await new StubCollector().start()
    stubs.push(stub)
    const sandbox = makeSandbox()
    const env = {...githubJob('9101'), CHEF_TELEMETRY_ENDPOINT: stub.url}
    await runCli(sandbox, ['hello'], {env})
    await runCli(sandbox, ['hello'], {env})
    const flush = await runCli(sandbox, ['telemetry', 'flush', '--json'], {env})
    assert.equal(flush.code, 0, flush.stderr)
    assert.equal(JSON.parse(flush.stdout).sent, 1)
    assert.equal(stub.stored.length, 1)
    assert.match(stub.stored[0].instance_id, CI_RUN_ID)
  })

  it('prints the run in debug mode', async () => {
    const sandbox = makeSandbox()
    const env = {...githubJob('9201'), CHEF_TELEMETRY_DEBUG: '1'}
    await runCli(sandbox, ['hello'], {env})
    const run = await runCli(sandbox, ['hello'], {env})
    assert.match(run.stderr, /\[telemetry\] on: running in CI \(GitHub Actions\)[^\n]*; run [\da-f-]{36}\n/)
    const [event] = debugEvents(run.stderr)
    assert.match(event.instance_id, CI_RUN_ID)
  })
})

describe('CI in other cases', () => {
  it('an opted-out job shows nothing and writes nothing', async () => {
    const sandbox = makeSandbox()
    const run = await runCli(sandbox, ['hello'], {env: {...githubJob('9301'), DO_NOT_TRACK: '1'}})
    assert.equal(run.stderr, '')
    assert.equal(existsSync(sandbox.cacheDir + '/ci-run.json'), false)
    assert.equal(existsSync(sandbox.configFile), false)
  })

  it('a runner with a shared config uses it, as any machine does', async () => {
    const sandbox = makeSandbox()
    await initialise(sandbox)
    const run = await runCli(sandbox, ['hello'], {env: githubJob('9401')})
    assert.equal(run.stderr, '')
    const [message] = queuedMessages(sandbox)
    assert.match(message.instance_id, UUID)
    assert.doesNotMatch(message.instance_id, CI_RUN_ID)
    assert.equal(message.payload.properties.ci, 'GitHub Actions')
  })
})
