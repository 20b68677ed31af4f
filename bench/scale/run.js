#!/usr/bin/env node
// Scale benchmark: realistic events (20k instances, 5 products, 50 commands with a long tail,
// 5% failures, log-normal durations, sessions, custom events with a Zipf `cookbook` property, over
// 90 days) ingested through the store's insert path in batches of 100 (consecutive sessions, in
// time order); ingest rate per million events, bytes per event,
// and each report's latency (median of 5) at every checkpoint, on SQLite and PostgreSQL. The
// ingest rate includes the background aggregator's work: it runs in this process as events
// arrive, and each measured stretch ends only once it has folded every event (store.aggregate()).
// Budgets: every report <= 50 ms and ingest at the end >= 80% of the first million's rate (at
// 10M events), SQLite <= 400 bytes per event. Exit code 1 when a budget is missed (--check).
//
//   npm run bench:scale -- [--events 1000000] [--checkpoints 1000000,10000000] [--only sqlite|postgres]
//                          [--store <file|postgres URL>] [--keep] [--clients 4] [--check]
// --store with --keep fills a store (for the dashboard, say) and leaves it in place; --store with
// --events 0 measures a filled store's reports and size without adding to it.
import {existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'
import {register} from 'tsx/esm/api'

import {helpAndExitWhenAsked} from '../usage.js'

helpAndExitWhenAsked(import.meta.url)
/* eslint-disable no-await-in-loop -- measurements run one after another on purpose */

register()
const root = fileURLToPath(new URL('../..', import.meta.url))
const {isPostgresUrl, openStore} = await import('../../collector/src/store/open.ts')
const {prepareMessage} = await import('../../collector/src/store/message.ts')
const {fleet} = await import('../../collector/test/support/fleet.ts')
const {databaseSize, skipPostgres, startPostgres} = await import('../../collector/test/support/postgres.ts')

const {values} = parseArgs({
  options: {
    check: {default: false, type: 'boolean'},
    checkpoints: {type: 'string'},
    clients: {default: '4', type: 'string'},
    events: {default: '1000000', type: 'string'},
    instances: {default: '20000', type: 'string'},
    keep: {default: false, type: 'boolean'},
    only: {type: 'string'},
    quiet: {default: false, type: 'boolean'},
    store: {type: 'string'},
  },
})
const EVENTS = Number(values.events)
const INSTANCES = Number(values.instances)
const CLIENTS = Number(values.clients)
const CHECKPOINTS = (values.checkpoints ?? String(EVENTS)).split(',').map(Number)
const log = (text) => values.quiet || process.stderr.write(`${text}\n`)

export const BUDGET = {bytesPerEvent: 400, ingestRatio: 0.8, reportMs: 50}

/** The reports a dashboard asks for: every dimension over everything, a filtered month, active, sessions. */
function reports() {
  const dims = ['product', 'version', 'command', 'event', 'outcome', 'error', 'os', 'arch', 'ci', 'node']
  const list = [
    ...dims.map((by) => [`by=${by}`, (s) => s.report({by, limit: 50})]),
    ...['day', 'week', 'month', 'flag', 'suggestion', 'property.cookbook'].map((by) => [
      `by=${by}`,
      (s) => s.report({by, limit: 1000}),
    ]),
    [
      'by=command product=kitchen 30 days',
      (s) => s.report({by: 'command', from: '2026-10-02', limit: 50, product: 'kitchen', to: '2026-10-31'}),
    ],
    ['by=day outcome=failure', (s) => s.report({by: 'day', limit: 1000, outcome: 'failure'})],
    ...['day', 'week', 'month'].map((period) => [`active ${period}`, (s) => s.active({period})]),
    ['sessions', (s) => s.sessions({limit: 50})],
  ]
  return list
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

async function latencies(store) {
  const out = {}
  for (const [name, run] of reports()) {
    const times = []
    for (let i = 0; i < 5; i++) {
      const start = process.hrtime.bigint()
      await run(store)
      times.push(Number(process.hrtime.bigint() - start) / 1e6)
    }

    out[name] = median(times)
  }

  return out
}

async function bytesOf(location) {
  if (isPostgresUrl(location)) return databaseSize(location)
  let total = 0
  for (const suffix of ['', '-wal']) if (existsSync(location + suffix)) total += statSync(location + suffix).size
  return total
}

/** The fleet's sessions regrouped, in order, into batches of `size` events (as a busy collector receives them). */
function* batchesOf(size, sessions) {
  let batch = []
  for (const messages of sessions) {
    for (const m of messages) {
      batch.push(m)
      if (batch.length === size) {
        yield batch
        batch = []
      }
    }
  }

  if (batch.length > 0) yield batch
}

/** The fleet's intensity for about `events` events over 90 days. */
function intensityFor(events) {
  // ~5 events per session, mean activity rate 1/4 (see fleet.ts).
  return events / (INSTANCES * 90 * 0.25 * 4.6)
}

async function run(name, location) {
  const store = await openStore(location, {poolSize: CLIENTS + 2})
  const result = {checkpoints: [], location, name, perMillion: []}
  try {
    const batches = batchesOf(100, fleet({days: 90, instances: INSTANCES, intensity: intensityFor(EVENTS), seed: 42}))
    // --events 0 on a kept store: no ingest, its reports and size measured as they are.
    let stored = EVENTS === 0 ? await store.countEvents() : 0
    let chunkStart = process.hrtime.bigint()
    let chunkEvents = 0
    const next = CHECKPOINTS.filter((c) => c <= EVENTS)
    let done = false
    const pull = () => {
      if (done) return
      const item = batches.next()
      if (item.done || stored >= EVENTS || EVENTS === 0) {
        done = true
        return
      }

      return item.value
    }

    // A stretch being closed (its events folded, its rate recorded): every client waits for it.
    let ending
    const endStretch = async () => {
      // The rate includes the aggregator's work: it runs in this process while events arrive, and
      // whatever it has not folded yet is folded before the clock stops.
      await store.aggregate()
      const seconds = Number(process.hrtime.bigint() - chunkStart) / 1e9
      result.perMillion.push({at: stored, eventsPerSecond: chunkEvents / seconds})
      log(`  ${name}: ${stored} events, ${(chunkEvents / seconds).toFixed(0)} ev/s`)
      chunkStart = process.hrtime.bigint()
      chunkEvents = 0
    }

    const ingestUntil = async (target) => {
      await Promise.all(
        Array.from({length: isPostgresUrl(location) ? CLIENTS : 1}, async () => {
          for (let batch = pull(); batch !== undefined; batch = stored < target ? pull() : undefined) {
            if (ending) await ending
            const rows = batch.map((m) => prepareMessage(m))
            const r = await store.insert(rows)
            stored += r.accepted
            chunkEvents += r.accepted
            if (!ending && (chunkEvents >= 1_000_000 || (stored >= target && chunkEvents > 0))) {
              ending = endStretch()
              await ending
              ending = undefined
            }
          }
        }),
      )
    }

    for (const checkpoint of next) {
      await ingestUntil(checkpoint)
      // The fleet ran out before the checkpoint: record the last part too. (Otherwise what is left
      // are the few batches other clients had sent while the last stretch closed: they count in the
      // next one.)
      await (stored < checkpoint && chunkEvents > 0 ? endStretch() : store.aggregate())

      const bytes = await bytesOf(location)
      const reportMs = await latencies(store)
      result.checkpoints.push({bytesPerEvent: bytes / stored, events: stored, reportMs})
      log(
        `  ${name} at ${stored}: ${(bytes / stored).toFixed(0)} B/event, slowest report ${Math.max(...Object.values(reportMs)).toFixed(1)} ms`,
      )
      if (done) break
    }
  } finally {
    await store.close()
  }

  return result
}

function verdicts(r) {
  const last = r.checkpoints.at(-1)
  const first = r.perMillion[0]?.eventsPerSecond ?? 0
  const end = r.perMillion.at(-1)?.eventsPerSecond ?? 0
  const slowest = Math.max(...Object.values(last.reportMs))
  return {
    bytes: r.name === 'sqlite' ? last.bytesPerEvent <= BUDGET.bytesPerEvent : true,
    ingest: r.perMillion.length < 2 || end >= BUDGET.ingestRatio * first,
    ingestRatio: first > 0 ? end / first : 0,
    reports: slowest <= BUDGET.reportMs,
    slowest,
  }
}

const results = []
const dir = mkdtempSync(join(tmpdir(), 'collector-scale-'))
let cluster
/** The kept PostgreSQL database (measure its reports again with --store URL --events 0). */
let pgStore
try {
  if (values.store) {
    results.push(await run(isPostgresUrl(values.store) ? 'postgres' : 'sqlite', values.store))
  } else {
    if (values.only !== 'postgres') results.push(await run('sqlite', join(dir, 'scale.db')))
    if (values.only !== 'sqlite') {
      if (skipPostgres) {
        log('PostgreSQL skipped (COLLECTOR_SKIP_PG=1)')
      } else {
        cluster = await startPostgres({fast: false, keep: values.keep})
        pgStore = await cluster.createDatabase('scale')
        results.push(await run('postgres', pgStore))
      }
    }
  }
} finally {
  // With --store the temporary folder holds nothing: removed even with --keep.
  if (values.store || !values.keep) rmSync(dir, {force: true, recursive: true})
  if (!values.keep) {
    cluster?.stop()
  } else if (!values.store) {
    log(
      `kept: ${dir}${cluster ? ` and the PostgreSQL store ${pgStore} (stop it with pg_ctl -D ${cluster.data} stop, as the postgres user when run as root, then remove ${dirname(cluster.data)})` : ''}`,
    )
  }
}

let failed = false
for (const r of results) {
  const v = verdicts(r)
  console.log(`\n${r.name}: ${r.checkpoints.at(-1).events} events`)
  if (r.perMillion.length > 0) {
    console.log(`  ingest ev/s per million: ${r.perMillion.map((p) => p.eventsPerSecond.toFixed(0)).join(', ')}`)
    console.log(`  ingest at the end / first million: ${v.ingestRatio.toFixed(2)} (budget >= ${BUDGET.ingestRatio})`)
  }

  for (const c of r.checkpoints) {
    console.log(`  at ${c.events} events: ${c.bytesPerEvent.toFixed(0)} bytes/event`)
    for (const [name, ms] of Object.entries(c.reportMs))
      console.log(`    ${name.padEnd(36)} ${ms.toFixed(1).padStart(8)} ms`)
  }

  console.log(
    `  budgets: reports <= ${BUDGET.reportMs} ms ${v.reports ? 'PASS' : 'FAIL'} (slowest ${v.slowest.toFixed(1)} ms)` +
      `, bytes ${v.bytes ? 'PASS' : 'FAIL'}, ingest ${v.ingest ? 'PASS' : 'FAIL'}`,
  )
  if (!v.reports || !v.bytes || !v.ingest) failed = true
}

mkdirSync(join(root, '.bench-out'), {recursive: true})
writeFileSync(join(root, '.bench-out', 'scale.json'), `${JSON.stringify({events: EVENTS, results}, null, 2)}\n`)
if (values.check && failed) process.exitCode = 1
