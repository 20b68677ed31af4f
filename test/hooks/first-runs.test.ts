import assert from 'node:assert/strict'
import {readdirSync, readFileSync} from 'node:fs'
import {after, describe, it} from 'node:test'

import {runCli} from '../helpers/cli.js'
import {cleanSandboxes, makeSandbox} from '../helpers/sandbox.js'
import {StubCollector} from '../helpers/stub-collector.js'

const collector = new StubCollector()
after(async () => {
  await collector.close()
  cleanSandboxes()
})

describe('100 first runs at once on a fresh home', () => {
  it('show one notice, share one instance id, and deliver the 99 other commands, each once', async () => {
    await collector.start()
    const sandbox = makeSandbox()
    const env = {
      CHEF_TELEMETRY_CACHE_DIR: sandbox.cacheDir,
      CHEF_TELEMETRY_CONFIG_DIR: sandbox.configDir,
      CHEF_TELEMETRY_ENDPOINT: collector.url,
    }
    // All spawned at once: on two cores they queue up in the kernel, hence the generous timeout.
    const runs = await Promise.all(
      Array.from({length: 100}, () => runCli(sandbox, ['hello'], {env, timeoutMs: 170_000})),
    )
    for (const run of runs) assert.deepEqual([run.code, run.stdout], [0, 'hello\n'], run.stderr)
    const notices = runs.filter((run) => run.stderr.includes('anonymous usage data'))
    assert.equal(notices.length, 1, 'the notice is shown by the one process that created the config')
    assert.ok(
      runs.every((run) => run.stderr === '' || run === notices[0]),
      'no other process prints anything',
    )
    assert.deepEqual(readdirSync(sandbox.configDir), ['telemetry.yml'], 'no temporary file left behind')

    for (let i = 0; i < 10; i++) {
      // One flush after another, until nothing waits.
      const flush = await runCli(sandbox, ['telemetry', 'flush', '--json'], {env, timeoutMs: 60_000})
      assert.equal(flush.code, 0, flush.stderr)
      if (JSON.parse(flush.stdout).waiting === 0) break
    }

    // Counted where they arrive: the collector.
    const instanceId = readFileSync(sandbox.configFile, 'utf8').match(/instance_id: (\S+)/)![1]
    assert.equal(collector.stored.length, 99)
    assert.deepEqual(new Set(collector.stored.map((m) => m.instance_id)), new Set([instanceId]))
    assert.deepEqual(new Set(collector.stored.map((m) => m.payload.properties.command)), new Set(['hello']))
    // Stored once each. A request may arrive twice: once the queue holds 32 KiB a background sender
    // starts beside the storm, and on two busy cores its request can time out (10 s) after the
    // stub stored the batch; it is sent again, with the same message ids, as delivery is at least once.
    assert.equal(collector.ids.size, 99, 'each message id once')
  })
})
