#!/usr/bin/env node
// Ingest benchmark: events per second through HTTP (a real collector child process on 127.0.0.1,
// batches of 100 gzip messages, a few concurrent keep-alive clients) against the store alone
// inserting the same kind of batches with the same concurrency, and against a minimal store (one
// table, message_id unique, the same fsync policy), for SQLite and PostgreSQL. Runs are
// interleaved and repeated; medians and the ratios are reported.
// The batches are a realistic fleet's as a collector receives them (collector/test/support/stream.ts):
// about 50 instances a batch, timestamps over 60 days in no order; --instances-per-batch 1 sends
// each batch from one instance, as the plugin does. The collector's analytics engine reads what it
// receives in its own thread meanwhile, and each run ends with a report (all read).
// Spec budget: HTTP ingest >= 80% of the minimal store. Exit code 1 when the ratio misses it.
//
//   node bench/ingest/run.js [--rounds 7] [--batches 40] [--clients 4] [--instances-per-batch 50]
//                            [--only sqlite|postgres]
//                            [--cpu-prof DIR]  (CPU profiles of the collector child, its threads too)
import {spawn} from 'node:child_process'
import {randomUUID} from 'node:crypto'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {Agent, request} from 'node:http'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'
import {gzipSync} from 'node:zlib'
import {register} from 'tsx/esm/api'

import {helpAndExitWhenAsked} from '../usage.js'

helpAndExitWhenAsked(import.meta.url)
/* eslint-disable no-await-in-loop -- measurements run one after another on purpose */

register()
const root = fileURLToPath(new URL('../..', import.meta.url))
const collectorDir = join(root, 'collector')
const {openStore} = await import('../../collector/src/store/open.ts')
const {prepareMessage} = await import('../../collector/src/store/message.ts')
const {commandMessage} = await import('../../collector/test/support/messages.ts')
const {realisticStream} = await import('../../collector/test/support/stream.ts')
const {send} = await import('../../collector/test/support/http.ts')
const {skipPostgres, startPostgres} = await import('../../collector/test/support/postgres.ts')
const {minimalPostgres, minimalSqlite} = await import('../../collector/test/support/minimal-store.ts')

const {values} = parseArgs({
  options: {
    batches: {default: '40', type: 'string'},
    clients: {default: '4', type: 'string'},
    'cpu-prof': {type: 'string'},
    'instances-per-batch': {default: '50', type: 'string'},
    only: {type: 'string'},
    rounds: {default: '7', type: 'string'},
  },
})
const ROUNDS = Number(values.rounds)
const BATCHES = Number(values.batches)
const CLIENTS = Number(values.clients)
const BATCH_SIZE = 100
const PER_BATCH = Number(values['instances-per-batch'])
if (!Number.isInteger(PER_BATCH) || PER_BATCH < 1 || PER_BATCH > 50) {
  throw new Error('--instances-per-batch: an integer from 1 to 50 (the benchmark has 50 instances)')
}

const BUDGET = 0.8

let run = 0

function makeBatches() {
  // The realistic stream, new events every run (another seed).
  if (PER_BATCH === 50) {
    const stream = realisticStream({events: (BATCHES + 5) * BATCH_SIZE, seed: ++run})
    return [...stream].filter((batch) => batch.length === BATCH_SIZE).slice(0, BATCHES)
  }

  // Fresh ids every run, a realistic mix of products and commands. Each batch comes from one
  // instance by default, as the plugin sends them (one machine's queue); consecutive batches from
  // different ones. --instances-per-batch mixes more into each (the worst case for PostgreSQL's
  // per-instance locks: batches sharing instances are stored one after another).
  const instances = Array.from({length: 50}, () => randomUUID())
  const commands = ['deploy', 'init', 'status', 'plugins:install', 'help']
  return Array.from({length: BATCHES}, (_, b) =>
    Array.from({length: BATCH_SIZE}, (_, i) =>
      commandMessage({
        instance_id: instances[(b * 7 + (i % PER_BATCH)) % instances.length],
        product: `cli${i % 3}`,
        properties: {command: commands[i % commands.length], duration_ms: i},
      }),
    ),
  )
}

/** Run `work(item)` over items with `concurrency` workers; resolves to elapsed seconds. */
async function timed(items, concurrency, work) {
  const queue = [...items]
  const start = process.hrtime.bigint()
  await Promise.all(
    Array.from({length: concurrency}, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item)
    }),
  )
  return Number(process.hrtime.bigint() - start) / 1e9
}

async function minimal(store) {
  const seconds = await timed(makeBatches(), CLIENTS, async (rows) => {
    const stored = await store.insert(rows)
    if (stored !== rows.length) throw new Error(`minimal store accepted ${stored} of ${rows.length}`)
  })
  return (BATCHES * BATCH_SIZE) / seconds
}

async function storeAlone(store) {
  const prepared = makeBatches().map((batch) => batch.map((m) => prepareMessage(m)))
  const seconds = await timed(prepared, CLIENTS, async (rows) => {
    const result = await store.insert(rows)
    if (result.accepted !== rows.length) throw new Error(`store accepted ${result.accepted} of ${rows.length}`)
  })
  return (BATCHES * BATCH_SIZE) / seconds
}

function post(url, agent, body) {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/events`,
      {
        agent,
        headers: {'content-encoding': 'gzip', 'content-length': body.length, 'content-type': 'application/json'},
        method: 'POST',
      },
      (res) => {
        let text = ''
        res.on('data', (c) => {
          text += c
        })
        res.on('end', () =>
          res.statusCode === 200 ? resolve(JSON.parse(text)) : reject(new Error(`${res.statusCode} ${text}`)),
        )
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

async function overHttp(url, agent) {
  // The plugin sends gzip batches; compressing is the client's cost, done before timing.
  const bodies = makeBatches().map((batch) => gzipSync(JSON.stringify(batch)))
  const seconds = await timed(bodies, CLIENTS, async (body) => {
    const result = await post(url, agent, body)
    if (result.accepted !== BATCH_SIZE) throw new Error(`collector accepted ${result.accepted} of ${BATCH_SIZE}`)
  })
  return (BATCHES * BATCH_SIZE) / seconds
}

const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef01'

/** A report makes the collector fold what it stored: the next measurement starts on a quiet machine. */
async function settleCollector(url) {
  const res = await send(`${url}/report?by=product`, {headers: {authorization: `Bearer ${ADMIN_TOKEN}`}})
  if (res.status !== 200) throw new Error(`report: ${res.status} ${res.text}`)
}

function startCollector(storeLocation) {
  const child = spawn(
    process.execPath,
    [
      ...(values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', values['cpu-prof']] : []),
      '--import',
      'tsx',
      join(collectorDir, 'src/cli.ts'),
      'serve',
      '--port',
      '0',
      '--store',
      storeLocation,
      '--log-level',
      'warn',
      // One client address sends everything here: the per-address ingest limit would measure itself.
      '--rate-limit-events',
      'off',
    ],
    {
      cwd: collectorDir,
      env: {...process.env, COLLECTOR_ADMIN_TOKEN: ADMIN_TOKEN},
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (c) => {
      out += c
      const match = /^listening on (\S+)$/m.exec(out)
      if (match) resolve({child, url: match[1]})
    })
    child.on('exit', (code) => reject(new Error(`collector exited ${code}`)))
  })
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

async function measure(name, storeFor, minimalFor) {
  const httpStore = await storeFor('http')
  const aloneLocation = await storeFor('alone')
  const collector = await startCollector(httpStore)
  const store = await openStore(aloneLocation)
  const reference = await minimalFor()
  const agent = new Agent({keepAlive: true, maxSockets: CLIENTS})
  const alone = []
  const http = []
  const least = []
  try {
    // Warm-up (JIT, connections, pages), not counted.
    await storeAlone(store)
    await overHttp(collector.url, agent)
    await settleCollector(collector.url)
    await minimal(reference)
    // Each run then lets its store fold what it received, so that no run
    // pays for the one before it: ingest goes first, aggregation follows (see bench/README.md).
    const runs = [
      async () => {
        alone.push(await storeAlone(store))
      },
      async () => {
        http.push(await overHttp(collector.url, agent))
        await settleCollector(collector.url)
      },
      async () => least.push(await minimal(reference)),
    ]
    for (let round = 0; round < ROUNDS; round++) {
      // Interleaved, rotating which goes first.
      for (let i = 0; i < runs.length; i++) await runs[(round + i) % runs.length]()
      process.stderr.write(
        `  ${name} round ${round + 1}/${ROUNDS}: minimal ${least.at(-1).toFixed(0)}/s, store ${alone.at(-1).toFixed(0)}/s, http ${http.at(-1).toFixed(0)}/s\n`,
      )
    }
  } finally {
    agent.destroy()
    await store.close()
    await reference.close()
    collector.child.kill('SIGTERM')
    await new Promise((resolve) => {
      collector.child.once('exit', resolve)
    })
  }

  return {
    alone,
    http,
    minimal: least,
    name,
    ratio: median(http) / median(least),
    storeRatio: median(http) / median(alone),
  }
}

const results = []
const dir = mkdtempSync(join(tmpdir(), 'collector-bench-'))
try {
  if (values.only !== 'postgres') {
    results.push(
      await measure(
        'sqlite',
        async (role) => join(dir, `${role}.db`),
        async () => minimalSqlite(join(dir, 'minimal.db')),
      ),
    )
  }

  if (values.only !== 'sqlite') {
    if (skipPostgres) {
      process.stderr.write('PostgreSQL skipped (COLLECTOR_SKIP_PG=1)\n')
    } else {
      // fsync on: the durability a production server has.
      const cluster = await startPostgres({fast: false})
      try {
        results.push(
          await measure(
            'postgres',
            (role) => cluster.createDatabase(`bench_${role}`),
            async () => minimalPostgres(await cluster.createDatabase('bench_minimal')),
          ),
        )
      } finally {
        cluster.stop()
      }
    }
  }
} finally {
  rmSync(dir, {force: true, recursive: true})
}

const rows = [
  ['store', 'minimal ev/s', 'store alone ev/s', 'HTTP ev/s', 'HTTP/store', 'HTTP/minimal', 'budget', 'result'],
]
for (const r of results) {
  rows.push([
    r.name,
    median(r.minimal).toFixed(0),
    median(r.alone).toFixed(0),
    median(r.http).toFixed(0),
    r.storeRatio.toFixed(2),
    r.ratio.toFixed(2),
    `>= ${BUDGET.toFixed(2)}`,
    r.ratio >= BUDGET ? 'PASS' : 'FAIL',
  ])
}

const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)))
const line = (row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ')
console.log(
  `\nCollector ingest: ${ROUNDS} interleaved rounds of ${BATCHES} batches x ${BATCH_SIZE} events (${PER_BATCH} instance(s) each), ${CLIENTS} concurrent clients, medians`,
)
console.log(line(rows[0]))
console.log(widths.map((w) => '-'.repeat(w)).join('  '))
for (const row of rows.slice(1)) console.log(line(row))

mkdirSync(join(root, '.bench-out'), {recursive: true})
writeFileSync(
  join(root, '.bench-out', 'ingest.json'),
  `${JSON.stringify({batches: BATCHES, batchSize: BATCH_SIZE, clients: CLIENTS, results, rounds: ROUNDS}, null, 2)}\n`,
)
if (results.some((r) => r.ratio < BUDGET)) process.exitCode = 1
