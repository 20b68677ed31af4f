#!/usr/bin/env node
// Dashboard benchmark: how long the overview takes to render in Chromium, from navigation to the
// last chart drawn (the page marks main[data-state=ready] and records performance.now()), against
// a given store or a fresh SQLite store filled with generated events. Median of several fresh
// page loads (each load asks the report API again). Spec budget: at most 1 s at 10M events.
//
//   node bench/dashboard/run.js --store ./telemetry.db [--rounds 5] [--range 90]
//   node bench/dashboard/run.js --events 1000000 [--store big.db]   (fills the store up to n events
//   first: a temporary SQLite file unless --store names one, which is kept for the next run)
// It also reports, per report request of the last load, how long the browser waited for it.
import {randomBytes} from 'node:crypto'
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parseArgs} from 'node:util'
import {register} from 'tsx/esm/api'

import {helpAndExitWhenAsked} from '../usage.js'

helpAndExitWhenAsked(import.meta.url)
/* eslint-disable no-await-in-loop -- measurements run one after another on purpose */

register()
const {WEB_ROOT} = await import('../../collector/src/dashboard/routes.ts')
if (!existsSync(join(WEB_ROOT, 'index.html'))) {
  // Without it the collector serves a "not built" page and the wait for the overview times out.
  process.stderr.write('The dashboard is not built: run `npm run setup` (or `npm run build -w collector`) first.\n')
  // eslint-disable-next-line n/no-process-exit -- a clear message, not a stack trace
  process.exit(2)
}

const {openStore} = await import('../../collector/src/store/open.ts')
const {prepareMessage} = await import('../../collector/src/store/message.ts')
const {startServer} = await import('../../collector/src/server.ts')
const {Analytics} = await import('../../collector/src/analytics/engine.ts')
const {analyticsPathFor} = await import('../../collector/src/analytics/location.ts')
const {dataset} = await import('../../collector/test/dashboard/support/dataset.ts')
const {launchChromium} = await import('../../collector/test/dashboard/support/browser.ts')

const {values} = parseArgs({
  options: {
    events: {type: 'string'},
    range: {default: '90', type: 'string'},
    rounds: {default: '5', type: 'string'},
    store: {type: 'string'},
  },
})
if (!values.store && !values.events) {
  throw new Error(
    'usage: node bench/dashboard/run.js --store <file|postgres-url> | --events <n> [--rounds 5] [--range 7|30|90]',
  )
}

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]
const temp = values.store ? undefined : mkdtempSync(join(tmpdir(), 'bench-dashboard-'))
const store = await openStore(values.store ?? join(temp, 'bench.db'))

if (values.events) {
  const target = Number(values.events)
  const started = Date.now()
  let stored = await store.countEvents()
  for (let seed = 1; stored < target; seed++) {
    const {messages} = dataset({days: 90, instances: 500, seed})
    for (let i = 0; i < messages.length && stored < target; i += 100) {
      const batch = messages.slice(i, Math.min(i + 100, i + target - stored)).map((m) => prepareMessage(m))
      stored += (await store.insert(batch)).accepted
    }

    if (seed % 20 === 0)
      console.error(`filled ${stored} events (${Math.round(stored / ((Date.now() - started) / 1000))}/s)`)
  }
}

const events = await store.countEvents()
const token = randomBytes(24).toString('hex')
const location = values.store ?? join(temp, 'bench.db')
const analytics = await Analytics.open(store, {path: analyticsPathFor(location)})
// The engine reads the store before the first view is timed.
await analytics.catchUp()
const server = await startServer({adminToken: token, analytics, logger: false, port: 0, store})
const browser = await launchChromium()
const context = await browser.newContext({viewport: {height: 900, width: 1400}})
try {
  const login = await context.newPage()
  await login.goto(`${server.url}/`)
  await login.fill('#token', token)
  await Promise.all([login.waitForSelector('main#view'), login.click('button[type=submit]')])
  await login.close()

  const times = []
  let requests = []
  for (let round = 0; round < Number(values.rounds) + 1; round++) {
    const page = await context.newPage()
    await page.goto(`${server.url}/#/overview?range=${values.range}`)
    await page.waitForSelector('main[data-state="ready"]', {timeout: 120_000})
    const ms = Number(await page.getAttribute('main', 'data-rendered-at'))
    const charts = await page.locator('section.card[data-chart] svg').count()
    const errors = await page.locator('section.card.error').count()
    if (errors > 0 || charts === 0) throw new Error(`the overview showed ${errors} errors and ${charts} charts`)
    requests = await page.evaluate(() =>
      performance
        .getEntriesByType('resource')
        .filter((e) => e.name.includes('/report'))
        .map((e) => ({ms: Math.round(e.duration), url: e.name.replace(/^https?:\/\/[^/]+/, '')})),
    )
    // The first load warms the store's and the browser's caches; it is reported, not counted.
    if (round > 0) times.push(ms)
    console.error(`round ${round}: ${ms} ms${round === 0 ? ' (warm-up)' : ''}`)
    await page.close()
  }

  const result = {
    budget_ms: 1000,
    events,
    median_ms: median(times),
    range_days: Number(values.range),
    requests_last_load: requests,
    rounds: times,
    store: store.kind,
  }
  console.log(JSON.stringify(result))
  process.exitCode = result.median_ms <= 1000 ? 0 : 1
} finally {
  await context.close()
  await browser.close()
  await server.close()
  await analytics.close()
  await store.close()
  if (temp) rmSync(temp, {force: true, recursive: true})
}
