import type {AddressInfo} from 'node:net'

/** The collector as a real child process: crash safety, shutdown, and the report/purge commands. */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {request} from 'node:http'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'
import {gzipSync} from 'node:zlib'

import {openStore} from '../src/store/open.js'
import {collectorDir, runCli, startCollector} from './support/child.js'
import {send} from './support/http.js'
import {batch, commandMessage} from './support/messages.js'

const dir = mkdtempSync(join(tmpdir(), 'collector-cli-'))
after(() => rmSync(dir, {force: true, recursive: true}))

describe('collector process', () => {
  it('loses no answered message when killed with SIGKILL during ingest (SQLite)', async () => {
    const file = join(dir, 'crash.db')
    const collector = await startCollector(['--store', file, '--log-level', 'warn'])
    const answered: string[] = []
    let stop = false
    let errors = 0
    const agent = new (await import('node:http')).Agent({keepAlive: true, maxSockets: 8})
    const client = async () => {
      // eslint-disable-next-line no-unmodified-loop-condition -- set by the test below
      while (!stop) {
        const messages = batch(50)
        const body = gzipSync(JSON.stringify(messages))
        const status = await new Promise<number>((resolve) => {
          const req = request(
            `${collector.url}/events`,
            {agent, headers: {'content-encoding': 'gzip', 'content-type': 'application/json'}, method: 'POST'},
            (res) => {
              res.resume()
              res.on('end', () => resolve(res.statusCode ?? 0))
              res.on('error', () => resolve(0))
            },
          )
          req.on('error', () => resolve(0))
          req.end(body)
        })
        if (status === 200) answered.push(...messages.map((m) => m.message_id!))
        else errors++
      }
    }

    const clients = Array.from({length: 4}, () => client())
    // Kill once a good number of batches went through, while requests are in flight.
    while (answered.length < 3000) await sleep(20)
    collector.child.kill('SIGKILL')
    assert.equal(await collector.exited, 'SIGKILL')
    stop = true
    await Promise.all(clients)
    agent.destroy()
    assert.ok(errors > 0 || answered.length > 0)

    const store = await openStore(file)
    try {
      const missing: string[] = []
      for (const id of answered) if ((await store.getMessage(id)) === undefined) missing.push(id)
      assert.deepEqual(missing, [], `${missing.length} of ${answered.length} answered messages lost`)
      assert.ok((await store.countEvents()) >= answered.length)
    } finally {
      await store.close()
    }
  })

  it('shuts down cleanly on SIGTERM and on SIGINT', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const collector = await startCollector(['--store', join(dir, 'term.db')])
      assert.equal((await send(`${collector.url}/events`, {body: JSON.stringify(commandMessage())})).status, 200)
      collector.child.kill(signal)
      assert.equal(await collector.exited, 0)
      assert.match(collector.stderr(), /shutting down/)
    }
  })

  it('prints reports, purges and rebuilds through the running server; a report holds every event just acknowledged', async () => {
    const file = join(dir, 'report.db')
    const token = 't0ken-of-at-least-thirty-two-characters'
    const collector = await startCollector(['--store', file, '--min-instances', '1'], {COLLECTOR_ADMIN_TOKEN: token})
    const report = (args: string[], adminToken = token) =>
      runCli(['report', ...args, '--url', collector.url], {COLLECTOR_ADMIN_TOKEN: adminToken})
    try {
      await send(`${collector.url}/events`, {
        body: JSON.stringify([
          ...batch(3, {product: 'alpha'}),
          ...batch(2, {product: 'alpha', properties: {command: 'init', outcome: 'failure'}}),
          ...batch(1, {product: 'beta'}),
          commandMessage({payload: {event: 'box_added', properties: {box: 'debian'}}, product: 'gamma'}),
        ]),
      })

      const table = await report(['--product', 'alpha', '--by', 'command'])
      assert.equal(table.code, 0, table.stderr)
      const lines = table.stdout.trimEnd().split('\n')
      assert.match(lines[0], /^command\s+events\s+instances\s+failures\s+p50_ms\s+p90_ms\s+p99_ms$/)
      assert.match(lines[2], /^deploy\s+3\s+3\s+0\s+12\.1\s+12\.1\s+12\.1$/)
      assert.match(lines[3], /^init\s+2\s+2\s+2\s/)

      const json = await report(['--by', 'product', '--json'])
      assert.deepEqual(
        JSON.parse(json.stdout).rows.map((r: {events: number; key: string}) => [r.key, r.events]),
        [
          ['alpha', 5],
          ['beta', 1],
          ['gamma', 1],
        ],
      )
      // The CLI answers what the route answers.
      const route = await send(`${collector.url}/report?by=product`, {headers: {authorization: `Bearer ${token}`}})
      assert.deepEqual(JSON.parse(json.stdout), route.json)
      const active = await report(['active', '--period', 'month', '--json'])
      assert.equal(JSON.parse(active.stdout).rows[0].instances, 7)
      const sessions = await report(['sessions'])
      assert.match(sessions.stdout, /^6 sessions/)
      const properties = await report(['properties'])
      assert.match(properties.stdout, /^event\s+property\s+events\n-+\s+-+\s+-+\nbox_added\s+box\s+1\n$/)
      const propertiesJson = await report(['properties', '--json'])
      const propertiesRoute = await send(`${collector.url}/report/properties`, {
        headers: {authorization: `Bearer ${token}`},
      })
      assert.deepEqual(JSON.parse(propertiesJson.stdout), propertiesRoute.json)

      const bad = await report(['--by', 'user'])
      assert.equal(bad.code, 1)
      assert.match(bad.stderr, /by must be one of/)
      // The store itself is not for report: only the server sees what it acknowledged.
      const byStore = await runCli(['report', '--store', file], {COLLECTOR_ADMIN_TOKEN: token})
      assert.equal(byStore.code, 1)
      assert.match(byStore.stderr, /report asks the running collector: give --url/)
      const untokened = await report(['--by', 'product'], '')
      assert.equal(untokened.code, 1)
      assert.match(untokened.stderr, /set COLLECTOR_ADMIN_TOKEN/)
      const wrongToken = await report(['--by', 'product'], 'y'.repeat(40))
      assert.equal(wrongToken.code, 1)
      assert.match(wrongToken.stderr, /the collector answered 401/)
      const noServer = await runCli(['report', '--url', 'http://127.0.0.1:9'], {COLLECTOR_ADMIN_TOKEN: token})
      assert.equal(noServer.code, 1)
      assert.match(noServer.stderr, /cannot reach the collector at http:\/\/127\.0\.0\.1:9/)

      const env = {COLLECTOR_ADMIN_TOKEN: token}
      const keep = await runCli(['purge', '--url', collector.url, '--older-than', '365d'], env)
      assert.equal(keep.code, 0, keep.stderr)
      assert.match(keep.stdout, /^removed 0 events received before /)
      const rebuilt = await runCli(['rebuild', '--url', collector.url], env)
      assert.equal(rebuilt.code, 0, rebuilt.stderr)
      assert.equal(rebuilt.stdout, 'rebuilt the analytics from 7 events\n')
      assert.equal((await runCli(['rebuild', '--url', collector.url, '--discard-purged'], env)).code, 1)
      const all = await runCli(['purge', '--url', collector.url, '--older-than', '0d', '--deletions'], env)
      assert.match(all.stdout, /^removed \d+ events.*0 deletion records/)
      // Reports drop the purged events at once (those of the current second stay).
      const left = JSON.parse((await report(['--by', 'product', '--json'])).stdout).rows as {events: number}[]
      assert.equal(
        7 - Number(/^removed (\d+)/.exec(all.stdout)![1]),
        left.reduce((n, r) => n + r.events, 0),
      )
      const wrong = await runCli(['purge', '--url', collector.url, '--older-than', '1d'], {COLLECTOR_ADMIN_TOKEN: 'x'})
      assert.equal(wrong.code, 1)
      assert.match(wrong.stderr, /401/)
      assert.equal((await runCli(['purge', '--url', collector.url], env)).code, 1)
      assert.equal((await runCli(['purge', '--url', collector.url, '--older-than', 'a year'], env)).code, 1)
      const down = await runCli(['purge', '--url', 'http://127.0.0.1:9', '--older-than', '1d'], env)
      assert.equal(down.code, 1)
      assert.match(down.stderr, /cannot reach the collector/)
    } finally {
      collector.child.kill('SIGTERM')
      await collector.exited
    }
  })

  it('folds report rows of fewer than --min-instances instances into "(other)", and refuses bad flags', async () => {
    for (const [flag, bad, said] of [
      ['--min-instances', '0', 'a whole number from 1 to 1000000'],
      ['--min-instances', 'many', 'a whole number from 1 to 1000000'],
      ['--analytics-threads', '0', 'a whole number from 1 to 256'],
      ['--compact-after', '901', 'a whole number from 0 to 900'],
      ['--analytics-memory', 'lots', 'a size such as 512MB or 2GB'],
    ]) {
      const refused = await runCli(['serve', '--port', '0', '--store', join(dir, 'bad-flags.db'), flag, bad])
      assert.equal(refused.code, 1, `${flag} ${bad}`)
      assert.match(refused.stderr, new RegExp(`invalid ${flag} ${bad}: ${said}`))
    }

    assert.equal(existsSync(join(dir, 'bad-flags.db')), false)
    const token = 't0ken-of-at-least-thirty-two-characters'
    const report = async (url: string) => {
      const run = await runCli(['report', '--url', url, '--by', 'property.box', '--json'], {
        COLLECTOR_ADMIN_TOKEN: token,
      })
      assert.equal(run.code, 0, run.stderr)
      return (JSON.parse(run.stdout) as {rows: {events: number; instances: number; key: string}[]}).rows.map((r) => [
        r.key,
        r.events,
        r.instances,
      ])
    }

    // debian from 4 instances, alpine from 3, arch and nixos from one each.
    const boxes = ['debian', 'debian', 'debian', 'debian', 'alpine', 'alpine', 'alpine', 'arch', 'nixos']
    const messages = boxes.map((box) => commandMessage({payload: {event: 'box_added', properties: {box}}}))
    for (const [flags, expected] of [
      [
        [],
        [
          ['debian', 4, 4],
          ['alpine', 3, 3],
          ['(other)', 2, 2],
        ],
      ],
      [
        ['--min-instances', '1'],
        [
          ['debian', 4, 4],
          ['alpine', 3, 3],
          ['arch', 1, 1],
          ['nixos', 1, 1],
        ],
      ],
    ] as const) {
      const collector = await startCollector(['--store', join(dir, `min-${flags.length}.db`), ...flags], {
        COLLECTOR_ADMIN_TOKEN: token,
      })
      try {
        assert.equal((await send(`${collector.url}/events`, {body: JSON.stringify(messages)})).status, 200)
        assert.deepEqual(await report(collector.url), expected)
      } finally {
        collector.child.kill('SIGTERM')
        await collector.exited
      }
    }
  })

  it('explains its usage and refuses unknown commands and options', async () => {
    const help = await runCli(['--help'])
    assert.equal(help.code, 0)
    assert.match(help.stdout, /telemetry-collector <command>/)
    assert.equal((await runCli(['frobnicate'])).code, 2)
    // The installed bin (dist/ when built, else src/ through tsx).
    const bin = spawnSync(process.execPath, [join(collectorDir, 'bin', 'telemetry-collector.js'), 'help'], {
      encoding: 'utf8',
    })
    assert.equal(bin.status, 0, bin.stderr)
    assert.match(bin.stdout, /serve\s+Run the HTTP collector/)
    const badOption = await runCli(['serve', '--bogus'])
    assert.equal(badOption.code, 1)
    assert.match(badOption.stderr, /bogus/)
  })

  it('refuses repeated options, a folder as the store and an unknown log level, in words of its own', async () => {
    const file = join(dir, 'refusals.db')
    const cases: [string[], RegExp][] = [
      // The HTTP routes refuse a repeated parameter; the CLI kept the last one.
      [['report', '--by', 'day', '--by', 'week'], /--by is given twice/],
      [['report', 'active', '--period', 'day', '--period', 'week'], /--period is given twice/],
      [['serve', '--port', '0', '--store', dir], /is a directory: give --store the SQLite file/],
      [['serve', '--log-level', 'loud', '--store', file], /invalid --log-level loud: one of fatal, error/],
    ]
    for (const [args, said] of cases) {
      const run = await runCli(args)
      assert.equal(run.code, 1, args.join(' '))
      assert.match(run.stderr, said, args.join(' '))
      assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace')
    }

    assert.equal(existsSync(file), false, 'no store created')
  })

  it('leaves no new store behind when it cannot listen', async () => {
    const taken = createServer()
    await new Promise<void>((resolve) => {
      taken.listen(0, '127.0.0.1', resolve)
    })
    const file = join(dir, 'port-in-use.db')
    try {
      const {port} = taken.address() as AddressInfo
      const run = await runCli(['serve', '--port', String(port), '--store', file])
      assert.equal(run.code, 1)
      assert.match(run.stderr, /EADDRINUSE|in use/)
      for (const suffix of ['', '-wal', '-shm']) assert.equal(existsSync(file + suffix), false, file + suffix)
    } finally {
      taken.close()
    }
  })
})
