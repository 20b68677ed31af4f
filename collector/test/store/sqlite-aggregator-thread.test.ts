/**
 * The SQLite aggregator's worker thread: folding runs beside the HTTP event loop, on its own
 * connection to the file. Two connections then write the dictionary: concurrent ingest that keeps
 * adding strings while the worker folds (and a deletion in the middle) must leave every report
 * equal to the report computed from the raw events; the server must stay responsive while a large
 * backlog is folded, and stop promptly on SIGTERM/SIGINT while the worker is busy.
 */
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {randomUUID} from 'node:crypto'
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import {startServer} from '../../src/server.js'
import {prepareMessage, type TelemetryMessage} from '../../src/store/message.js'
import {openStore} from '../../src/store/open.js'
import {factOf} from '../../src/store/report/facts.js'
import {collectorDir, startCollector} from '../support/child.js'
import {fleet} from '../support/fleet.js'
import {postJson, send} from '../support/http.js'
import {batch} from '../support/messages.js'
import {assertSame, everyReport, expectedReports} from './rollup-suite.js'

const dir = mkdtempSync(join(tmpdir(), 'collector-aggregator-thread-'))
after(() => rmSync(dir, {force: true, recursive: true}))
const TOKEN = 'aggregator-thread-test-token-0123456789'

/** Run `work` over `items` with `n` concurrent workers. */
async function concurrently<T>(items: T[], n: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items]
  await Promise.all(
    Array.from({length: n}, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item)
    }),
  )
}

/** A copy of a command event with a new id, instance and command name. */
function commandEvent(model: TelemetryMessage, instanceId: string, command: string): TelemetryMessage {
  const copy = structuredClone(model)
  copy.message_id = randomUUID()
  copy.instance_id = instanceId
  ;(copy.payload.properties as Record<string, unknown>).command = command
  return copy
}

describe('SQLite aggregator thread', () => {
  it('keeps every report exact under concurrent ingest of new strings, with a deletion in the middle', async () => {
    const batches = [...fleet({days: 40, instances: 40, seed: 23})]
    const counts = new Map<string, number>()
    for (const m of batches.flat()) counts.set(m.instance_id, (counts.get(m.instance_id) ?? 0) + 1)
    const [gone] = [...counts].sort((a, b) => b[1] - a[1])[0]
    const other = [...counts.keys()].find((id) => id !== gone)!
    const model = batches.flat().find((m) => m.payload.event === 'command')!
    // A string only the deleted instance sent: the deletion (run by the worker) overwrites it in
    // the dictionary, and it comes back later from another instance through the server's
    // connection, which must not reuse the id it had cached.
    const onlyGone = `only-${randomUUID()}`
    const half = Math.floor(batches.length / 2)
    const firstHalf = [...batches.slice(0, half), [commandEvent(model, gone, onlyGone)]]
    const secondHalf = batches.slice(half)
    const comeback = [commandEvent(model, other, onlyGone), commandEvent(model, other, onlyGone)]

    const store = await openStore(join(dir, 'concurrent.db'))
    const server = await startServer({adminToken: TOKEN, logger: false, port: 0, rateLimits: {events: false}, store})
    const post = async (messages: TelemetryMessage[]) => {
      const res = await postJson(`${server.url}/events`, messages)
      assert.equal(res.status, 200, res.text)
    }

    const report = async () => {
      const res = await send(`${server.url}/report?by=property.cookbook&limit=5`, {
        headers: {authorization: `Bearer ${TOKEN}`},
      })
      assert.equal(res.status, 200, res.text)
    }

    try {
      // Reports in the middle make the worker catch up while ingest goes on.
      await Promise.all([concurrently(firstHalf, 8, post), report(), report()])
      const [deletion] = await Promise.all([
        send(`${server.url}/instances/${gone}`, {method: 'DELETE'}),
        concurrently(secondHalf, 8, post),
        report(),
      ])
      assert.equal(deletion.status, 202, deletion.text)
      assert.ok((await store.getDeletion(deletion.json.deletion_id))!.events_deleted > 0)
      await concurrently([comeback], 1, post)

      const instances = [...counts.keys()]
      const facts = [...batches.flat(), ...comeback]
        .filter((m) => m.instance_id !== gone)
        .map((m) => factOf(m, instances.indexOf(m.instance_id), prepareMessage(m).messageId, Date.parse(m.timestamp)))
      assertSame(await everyReport(store), expectedReports(facts))
      const commands = await store.report({by: 'command', limit: 10_000})
      assert.deepEqual(
        commands.filter((r) => r.key === onlyGone).map((r) => [r.events, r.instances]),
        [[2, 1]],
      )
    } finally {
      await server.close()
      await store.close()
    }
  })

  it('commits concurrent inserts together, each with its own counts', async () => {
    const store = await openStore(join(dir, 'group.db'))
    try {
      const deleted = randomUUID()
      await store.deleteInstance(deleted)
      const shared = batch(10)
      const calls = Array.from({length: 30}, (_, i) => [
        ...batch(5),
        ...(i % 3 === 0 ? shared : []),
        ...(i === 7 ? batch(4, {instance_id: deleted}) : []),
      ])
      const results = await Promise.all(
        calls.map(async (messages) => store.insert(messages.map((m) => prepareMessage(m)))),
      )
      // The shared messages are stored once, whichever call got there first.
      assert.equal(
        results.reduce((n, r) => n + r.accepted, 0),
        30 * 5 + 10,
      )
      assert.equal(
        results.reduce((n, r) => n + r.duplicates, 0),
        9 * 10,
      )
      assert.deepEqual(
        results.map((r) => r.suppressed),
        calls.map((_, i) => (i === 7 ? 4 : 0)),
      )
      for (const [i, r] of results.entries()) assert.equal(r.accepted + r.duplicates + r.suppressed, calls[i].length)
      assert.equal(await store.countEvents(), 30 * 5 + 10)
    } finally {
      await store.close()
    }
  })

  // eslint-disable-next-line mocha/handle-done-callback -- node:test passes a context, not done
  it('answers /healthz while it folds a large backlog', async (t) => {
    const file = join(dir, 'backlog.db')
    const store = await openStore(file)
    // Stored before the server starts; the aggregator folds them when asked.
    const backlog = [...fleet({days: 30, instances: 100, seed: 5})].flat()
    for (let i = 0; i < backlog.length; i += 500) {
      await store.insert(backlog.slice(i, i + 500).map((m) => prepareMessage(m)))
    }

    const server = await startServer({logger: false, port: 0, store})
    try {
      const folding = new AbortController()
      const gaps: number[] = []
      const probe = (async () => {
        while (!folding.signal.aborted) {
          const start = performance.now()
          assert.equal((await send(`${server.url}/healthz`)).status, 200)
          gaps.push(performance.now() - start)
          await new Promise((resolve) => {
            setTimeout(resolve, 10)
          })
        }
      })()
      const start = performance.now()
      await store.aggregate()
      const foldMs = performance.now() - start
      folding.abort()
      await probe
      const worst = Math.max(...gaps)
      t.diagnostic(
        `${backlog.length} events folded in ${foldMs.toFixed(0)} ms; /healthz took up to ${worst.toFixed(0)} ms`,
      )
      // On the event loop (before the worker), /healthz waited for each whole chunk (seconds).
      assert.ok(foldMs > 500, `folding ${backlog.length} events took only ${foldMs.toFixed(0)} ms: no backlog`)
      assert.ok(
        worst < Math.min(400, foldMs / 2),
        `/healthz took up to ${worst.toFixed(0)} ms while folding ${foldMs.toFixed(0)} ms`,
      )
    } finally {
      await server.close()
      await store.close()
    }
  })

  it('serve stops promptly on SIGTERM and SIGINT while the worker folds', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const collector = await startCollector([
        '--store',
        join(dir, `signal-${signal}.db`),
        '--rate-limit-events',
        'off',
      ])
      await concurrently(
        Array.from({length: 60}, () => batch(100)),
        4,
        async (messages) => {
          assert.equal((await postJson(`${collector.url}/events`, messages)).status, 200)
        },
      )
      const start = performance.now()
      collector.child.kill(signal)
      assert.equal(await collector.exited, 0, collector.stderr())
      const ms = performance.now() - start
      assert.ok(ms < 5000, `${signal}: exited after ${ms.toFixed(0)} ms`)
      assert.match(collector.stderr(), /shutting down/)
    }
  })

  // eslint-disable-next-line mocha/handle-done-callback -- node:test passes a context, not done
  it('runs from the installed bin: the built worker (dist/) when built, else the sources through tsx', async (t) => {
    const built = existsSync(join(collectorDir, 'dist', 'store', 'sqlite-aggregator-worker.js'))
    t.diagnostic(built ? 'dist/ is built: the compiled worker' : 'no dist/: the TypeScript worker through tsx')
    const child = spawn(
      process.execPath,
      [join(collectorDir, 'bin', 'telemetry-collector.js'), 'serve', '--port', '0', '--store', join(dir, 'bin.db')],
      {env: {...process.env, COLLECTOR_ADMIN_TOKEN: TOKEN}, stdio: ['ignore', 'pipe', 'pipe']},
    )
    let stderr = ''
    child.stderr.on('data', (c) => {
      stderr += c
    })
    const exited = new Promise<null | number>((resolve) => {
      child.on('exit', resolve)
    })
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = ''
        child.stdout.on('data', (c) => {
          out += c
          const match = /^listening on (\S+)$/m.exec(out)
          if (match) resolve(match[1])
        })
        exited.then(() => reject(new Error(`the collector exited: ${stderr}`)))
      })
      assert.equal((await postJson(`${url}/events`, batch(7, {product: 'from-bin'}))).status, 200)
      const report = await send(`${url}/report?by=product`, {headers: {authorization: `Bearer ${TOKEN}`}})
      assert.equal(report.status, 200, report.text)
      assert.deepEqual(
        report.json.rows.map((r: {events: number; key: string}) => [r.key, r.events]),
        [['from-bin', 7]],
      )
    } finally {
      child.kill('SIGTERM')
    }

    assert.equal(await exited, 0, stderr)
  })
})
