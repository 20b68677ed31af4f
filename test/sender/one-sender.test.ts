// At most one background sender per queue, whatever starts it: deletes, flushes and commands started
// together while the collector is down. (Two `delete --yes` offline once left two senders retrying
// the same deletions: the first let the lock go while it waited, and the second delete started another.)
import assert from 'node:assert/strict'
import {after, describe, it} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'

import {initialise, runCli} from '../helpers/cli.js'
import {cleanSandboxes, makeSandbox, type Sandbox, senderPids} from '../helpers/sandbox.js'
import {StubCollector} from '../helpers/stub-collector.js'

const started: number[] = []
after(() => {
  // The senders these tests started wait up to two hours to retry: end them, by their pids.
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGTERM')
    } catch {
      // Already gone.
    }
  }

  cleanSandboxes()
})

/** The largest number of senders seen at once over `ms`, polling. */
async function mostSenders(sandbox: Sandbox, ms: number): Promise<number> {
  let most = 0
  for (const until = Date.now() + ms; Date.now() < until;) {
    const pids = senderPids(sandbox)
    started.push(...pids.filter((pid) => !started.includes(pid)))
    most = Math.max(most, pids.length)
    await sleep(100)
  }

  return most
}

describe('one background sender per queue', () => {
  it('deletes, flushes and commands started together, offline, leave one sender', async () => {
    // A collector that was there, then went away: every request fails at once (ECONNREFUSED).
    const server = await new StubCollector().start()
    const sandbox = makeSandbox({backgroundSender: true})
    sandbox.env.CHEF_TELEMETRY_ENDPOINT = server.url
    await initialise(sandbox)
    await server.close()
    const wave = (deletes: number, flushes: number, commands: number) =>
      Promise.all([
        ...Array.from({length: deletes}, () => runCli(sandbox, ['telemetry', 'delete', '--yes'])),
        ...Array.from({length: flushes}, () => runCli(sandbox, ['telemetry', 'flush'])),
        ...Array.from({length: commands}, () => runCli(sandbox, ['hello'])),
      ])
    const first = await wave(3, 2, 6)
    for (const result of first.slice(0, 3)) assert.match(result.stdout, /retried in the background/, result.stderr)
    assert.equal(await mostSenders(sandbox, 2000), 1, 'one sender retries the deletions')
    // While that one waits to retry (it lets the lock go meanwhile), more of everything.
    const second = await wave(2, 2, 6)
    assert.ok(
      second.every((r) => r.code !== null),
      'no command hung',
    )
    assert.equal(await mostSenders(sandbox, 6000), 1, 'still one, across its retries')
  })
})
