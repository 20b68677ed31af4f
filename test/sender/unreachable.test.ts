// What `status` and `flush` say while the collector cannot be reached: the reason in words, and the
// next attempt in the machine's own time, not only in sender.log and in UTC.
import assert from 'node:assert/strict'
import {after, describe, it} from 'node:test'

import {flat, initialise, runCli} from '../helpers/cli.js'
import {cleanSandboxes, makeSandbox, type Sandbox} from '../helpers/sandbox.js'
import {StubCollector} from '../helpers/stub-collector.js'

const stubs: StubCollector[] = []
after(async () => {
  for (const stub of stubs) await stub.close()
  cleanSandboxes()
})

/** Kolkata: a zone with a half-hour offset and no daylight saving, so the expected text is plain arithmetic. */
const TZ = 'Asia/Kolkata'

/** `iso` as a clock in Kolkata shows it, in the form status prints. */
function kolkata(iso: string): string {
  const shifted = new Date(Date.parse(iso) + 5.5 * 3_600_000).toISOString()
  return `${shifted.slice(0, 10)} ${shifted.slice(11, 19)} (UTC+05:30)`
}

async function sandboxFor(endpoint: string): Promise<Sandbox> {
  const sandbox = makeSandbox()
  Object.assign(sandbox.env, {CHEF_TELEMETRY_ENDPOINT: endpoint, TZ})
  await initialise(sandbox)
  return sandbox
}

describe('a collector that cannot be reached', () => {
  it('flush says why nothing was sent, in words, and when the next attempt is, in local time', async () => {
    // .invalid never resolves (RFC 2606).
    const sandbox = await sandboxFor('https://telemetry.invalid')
    await runCli(sandbox, ['hello'])
    const flush = await runCli(sandbox, ['telemetry', 'flush'])
    assert.equal(flush.code, 1)
    assert.match(flush.stdout, /^Nothing sent: cannot resolve telemetry\.invalid/)
    assert.doesNotMatch(flush.stdout, /Sent 0/)
    assert.match(
      flat(flush.stderr),
      /Could not deliver: cannot resolve telemetry\.invalid.*1 event\(s\) are kept; the background sender tries again after \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(UTC\+05:30\)\./,
    )
  })

  it('status shows the last failure and the next attempt in local time, and --json the same', async () => {
    const sandbox = await sandboxFor('https://telemetry.invalid')
    await runCli(sandbox, ['hello'])
    await runCli(sandbox, ['telemetry', 'flush'])
    const json = JSON.parse((await runCli(sandbox, ['telemetry', 'status', '--json'])).stdout)
    assert.match(json.lastFailure.error, /^(ENOTFOUND|EAI_AGAIN)$/)
    assert.match(json.lastFailure.description, /^cannot resolve telemetry\.invalid/)
    assert.ok(Date.parse(json.backoffUntil) > Date.now())
    const status = await runCli(sandbox, ['telemetry', 'status'])
    assert.match(
      status.stdout,
      new RegExp(`Last failure: +${escape(kolkata(json.lastFailure.at))}: cannot resolve telemetry\\.invalid`),
    )
    assert.match(status.stdout, new RegExp(`Next attempt: +after ${escape(kolkata(json.backoffUntil))}`))
    assert.doesNotMatch(status.stdout, /retrying after|\d{4}-\d\d-\d\dT/, 'no UTC ISO time for people')
  })

  it('a failure is forgotten once a delivery succeeds; an answer other than 2xx is said as such', async () => {
    const server = await new StubCollector().start()
    stubs.push(server)
    const sandbox = await sandboxFor(server.url)
    await runCli(sandbox, ['hello'])
    server.mode = {kind: 'status', status: 503}
    const failed = await runCli(sandbox, ['telemetry', 'flush'])
    assert.match(failed.stdout, /^Nothing sent: the collector at 127\.0\.0\.1:\d+ answered HTTP 503\./)
    const during = await runCli(sandbox, ['telemetry', 'status'])
    assert.match(during.stdout, /Last failure: .*: the collector at 127\.0\.0\.1:\d+ answered HTTP 503/)
    server.mode = {kind: 'ok'}
    const sent = await runCli(sandbox, ['telemetry', 'flush'])
    assert.match(sent.stdout, /^Sent 1 event\(s\) in 1 request\(s\)/)
    const later = await runCli(sandbox, ['telemetry', 'status', '--json'])
    assert.deepEqual([JSON.parse(later.stdout).lastFailure, JSON.parse(later.stdout).backoffUntil], [null, null])
    const empty = await runCli(sandbox, ['telemetry', 'flush'])
    assert.deepEqual([empty.code, empty.stdout.split('\n')[0]], [0, 'Nothing to send: no event was waiting.'])
  })
})

function escape(text: string): string {
  return text.replaceAll(/[$()*+.?[\\\]^{|}]/g, String.raw`\$&`)
}
