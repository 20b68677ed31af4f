import type {Browser, BrowserContext, Page} from 'playwright-core'

/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core): sign-in, every view
 * drawn from a store filled through POST /events, the numbers shown against the report API's, the
 * filters, and a screenshot of each view (test-output/dashboard/).
 */
import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {fileURLToPath} from 'node:url'

import type {Store} from '../../src/store/store.js'

import {type RunningServer} from '../../src/server.js'
import {openStore} from '../../src/store/open.js'
import {postJson, send} from '../support/http.js'
import {serve} from '../support/server.js'
import {launchChromium} from './support/browser.js'
import {dataset} from './support/dataset.js'

const TOKEN = 'dashboard-browser-test-token-0123456789abcdef'
export const OUTPUT = fileURLToPath(new URL('../../test-output/dashboard/', import.meta.url))
const VIEWS = ['overview', 'commands', 'versions', 'environment', 'events', 'flows'] as const

interface ShownTable {
  chart: string
  rows: string[][]
}

/** Each card's table as text cells (data-value: the exact figure behind the formatted one). */
const tables = (page: Page): Promise<ShownTable[]> =>
  page.$$eval('section.card[data-chart]', (cards) =>
    cards.map((card) => ({
      chart: (card as HTMLElement).dataset.chart!,
      rows: [...card.querySelectorAll('tbody tr')].map((tr) =>
        [...tr.querySelectorAll('th, td')].map((cell) => (cell as HTMLElement).dataset.value ?? cell.textContent ?? ''),
      ),
    })),
  )

async function table(page: Page, chart: string): Promise<string[][]> {
  const found = (await tables(page)).find((t) => t.chart === chart)
  assert.ok(found, `chart ${chart} is shown`)
  return found.rows
}

describe('dashboard in Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'collector-dashboard-browser-'))
  let store: Store
  let server: RunningServer
  let browser: Browser
  let context: BrowserContext
  const consoleErrors: string[] = []

  const api = async (route: string, params: Record<string, number | string>) => {
    const query = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]))
    const res = await send(`${server.url}/${route}?${query}`, {headers: {authorization: `Bearer ${TOKEN}`}})
    assert.equal(res.status, 200, res.text)
    return res.json
  }

  const watch = (page: Page) => {
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(`${page.url()}: ${message.text()}`)
    })
    page.on('pageerror', (error) => consoleErrors.push(`${page.url()}: ${error.message}`))
    return page
  }

  /** Open a view and wait until every card has its answer. */
  const open = async (page: Page, hash: string) => {
    await page.goto(`${server.url}/${hash}`)
    await page.waitForSelector('main[data-state="ready"]', {timeout: 30_000})
    // The data attribute is set once all cards have settled; make sure of it for this very hash.
    await page.waitForFunction(() => !document.querySelector('[data-loading]'))
  }

  before(async () => {
    mkdirSync(OUTPUT, {recursive: true})
    store = await openStore(join(dir, 'dashboard.db'))
    server = await serve({adminToken: TOKEN, logger: false, port: 0, store})
    const {messages} = dataset()
    for (let i = 0; i < messages.length; i += 500) {
      const res = await postJson(`${server.url}/events`, messages.slice(i, i + 500))
      assert.equal(res.status, 200, res.text)
      assert.deepEqual(res.json.rejected, [])
    }

    browser = await launchChromium()
    context = await browser.newContext({deviceScaleFactor: 1, viewport: {height: 900, width: 1400}})
  })

  after(async () => {
    await context?.close()
    await browser?.close()
    await server?.close()
    await store?.close()
    rmSync(dir, {force: true, recursive: true})
  })

  it('refuses a wrong token and shows no data', async () => {
    const fresh = await browser.newContext()
    try {
      // Its console shows the refusals it provokes (401s), so only script errors are collected here.
      const page = await fresh.newPage()
      page.on('pageerror', (error) => consoleErrors.push(`${page.url()}: ${error.message}`))
      const requests: string[] = []
      page.on('request', (r) => requests.push(new URL(r.url()).pathname))
      await page.goto(`${server.url}/#/commands?range=90`)
      await page.fill('#token', 'wrong-token')
      await page.click('button[type=submit]')
      await page.waitForSelector('#login-error')
      assert.match((await page.textContent('#login-error')) ?? '', /not the admin token/)
      assert.equal(await page.$('main#view'), null, 'no dashboard')
      assert.deepEqual((await fresh.cookies()).length, 0)
      assert.ok(!requests.some((p) => p.startsWith('/report')), 'no report was requested')
      // The report itself refuses the page's own requests without a session.
      const status = await page.evaluate(
        async () => (await fetch('report?by=command', {headers: {'x-telemetry-dashboard': '1'}})).status,
      )
      assert.equal(status, 401)
      await page.screenshot({path: join(OUTPUT, 'login-refused.png')})
    } finally {
      await fresh.close()
    }
  })

  it('signs in with the token into the shared view; the cookie is HttpOnly, SameSite=Strict, 12 h', async () => {
    const page = watch(await context.newPage())
    await page.goto(`${server.url}/#/commands?range=90`)
    await page.fill('#token', TOKEN)
    await Promise.all([page.waitForURL(/#\/commands\?range=90$/), page.click('button[type=submit]')])
    await page.waitForSelector('main[data-state="ready"]')
    assert.equal(await page.getAttribute('nav a[aria-current="page"]', 'href'), '#/commands?range=90')
    const [cookie] = await context.cookies()
    assert.equal(cookie.name, 'telemetry_session')
    assert.equal(cookie.httpOnly, true)
    assert.equal(cookie.sameSite, 'Strict')
    assert.equal(cookie.secure, false, 'plain http here; Secure over https (see session.test.ts)')
    assert.ok(Math.abs(cookie.expires * 1000 - (Date.now() + 12 * 3600 * 1000)) < 60_000, `expires ${cookie.expires}`)
    assert.equal(await page.evaluate(() => document.cookie), '', 'not readable by scripts')
    await page.close()
  })

  for (const view of VIEWS) {
    it(`draws the ${view} view: non-empty charts, each with a table and a CSV`, async () => {
      const page = watch(await context.newPage())
      const hash = `#/${view}?range=90`
      await open(page, hash)
      const cards = await page.$$eval('section.card[data-chart]', (nodes) =>
        nodes.map((card) => ({
          chart: (card as HTMLElement).dataset.chart,
          csv: card.querySelector('a[download]')?.getAttribute('href') ?? '',
          marks: card.querySelectorAll('svg [aria-label] > *').length,
          rows: card.querySelectorAll('tbody tr').length,
          title: card.querySelector('h3')?.textContent,
          xLabel: [...card.querySelectorAll('svg [aria-label$="axis"] text, svg g[aria-label*="label"] text')]
            .map((t) => t.textContent)
            .join(' '),
        })),
      )
      const errors = await page.$$eval('section.card.error', (nodes) => nodes.map((n) => n.textContent))
      assert.deepEqual(errors, [])
      assert.ok(cards.length >= (view === 'versions' ? 3 : 2), `${view}: ${cards.length} charts`)
      for (const card of cards) {
        assert.ok(card.title, `${card.chart} has a title`)
        assert.ok(card.rows > 0, `${card.chart} has rows`)
        assert.ok(card.marks > 0, `${card.chart} draws marks`)
        assert.ok(card.xLabel.length > 0, `${card.chart} has labelled axes`)
        assert.match(decodeURIComponent(card.csv), /^data:text\/csv;charset=utf-8,.+\r\n.+/s)
      }

      await page.screenshot({fullPage: true, path: join(OUTPUT, `${view}.png`)})
      await page.close()
    })
  }

  it('shows the report API numbers for the same filters, and other numbers when a filter changes', async () => {
    const page = watch(await context.newPage())
    await open(page, '#/overview?range=90')
    const {from, to} = await page.evaluate(() => ({
      from: (document.querySelector('#from') as HTMLInputElement).value,
      to: (document.querySelector('#to') as HTMLInputElement).value,
    }))
    const expectDay = (await api('report/active', {from, period: 'day', to})).rows
    assert.deepEqual(
      await table(page, 'active-day'),
      expectDay.map((r: any) => [r.period, String(r.instances), String(r.events)]),
    )
    const byProduct = (await api('report', {by: 'product', from, limit: 200, to})).rows
    assert.deepEqual(
      await table(page, 'by-product'),
      byProduct.map((r: any) => [r.key, String(r.events), String(r.instances)]),
    )

    // Choose a product: the URL, the numbers and the API agree again.
    await page.selectOption('#product', 'kitchen')
    await page.waitForURL(/product=kitchen/)
    await page.waitForSelector('main[data-state="ready"]')
    await page.waitForFunction(() => !document.querySelector('[data-loading]'))
    const kitchenDay = (await api('report/active', {from, period: 'day', product: 'kitchen', to})).rows
    const shown = await table(page, 'active-day')
    assert.deepEqual(
      shown,
      kitchenDay.map((r: any) => [r.period, String(r.instances), String(r.events)]),
    )
    assert.notDeepEqual(
      shown,
      expectDay.map((r: any) => [r.period, String(r.instances), String(r.events)]),
    )

    // A version of it: the same figures as /report?by=day for that version.
    await page.selectOption('#version', '3.7.1')
    await page.waitForURL(/version=3\.7\.1/)
    await page.waitForSelector('main[data-state="ready"]')
    await page.waitForFunction(() => !document.querySelector('[data-loading]'))
    const versionDay = (await api('report', {by: 'day', from, limit: 1000, product: 'kitchen', to, version: '3.7.1'}))
      .rows
    assert.deepEqual(
      (await table(page, 'active-day')).map((r) => r.join(',')),
      versionDay.map((r: any) => [r.key, r.instances, r.events].join(',')).sort(),
    )

    // The last 7 days: fewer days shown.
    await page.selectOption('#range', '7')
    await page.waitForURL(/range=7/)
    await page.waitForSelector('main[data-state="ready"]')
    await page.waitForFunction(() => !document.querySelector('[data-loading]'))
    assert.ok((await table(page, 'active-day')).length <= 7)
    await page.close()
  })

  it('shows the command figures of the report API', async () => {
    const page = watch(await context.newPage())
    await open(page, '#/commands?product=knife&range=90')
    const {from, to} = await page.evaluate(() => ({
      from: (document.querySelector('#from') as HTMLInputElement).value,
      to: (document.querySelector('#to') as HTMLInputElement).value,
    }))
    const rows = (
      await api('report', {by: 'command', event: 'command', from, limit: 1000, product: 'knife', to})
    ).rows.filter((r: any) => r.key !== null)
    assert.deepEqual(
      await table(page, 'commands-events'),
      rows.slice(0, 15).map((r: any) => [r.key, String(r.events), String(r.instances)]),
    )
    const help = (
      await api('report', {by: 'command', event: 'command', from, limit: 15, outcome: 'help', product: 'knife', to})
    ).rows
    assert.deepEqual(
      await table(page, 'commands-help'),
      help.map((r: any) => [r.key ?? '(general help)', String(r.events), String(r.instances)]),
    )
    await page.close()
  })

  it('shows the environment shares and session figures of the report API', async () => {
    const page = watch(await context.newPage())
    await open(page, '#/environment?range=90')
    const {from, to} = await page.evaluate(() => ({
      from: (document.querySelector('#from') as HTMLInputElement).value,
      to: (document.querySelector('#to') as HTMLInputElement).value,
    }))
    const os = (await api('report', {by: 'os', event: 'command', from, limit: 1000, to})).rows
    const total = os.reduce((sum: number, r: any) => sum + r.instances, 0)
    assert.deepEqual(
      (await table(page, 'environment-os')).map((r) => r.slice(0, 3)),
      [...os]
        .sort((a: any, b: any) => b.instances - a.instances || b.events - a.events)
        .map((r: any) => [r.key, String(r.instances), String(Math.round((r.instances / total) * 10_000) / 10_000)]),
    )

    await open(page, '#/flows?range=90')
    const sessions = await api('report/sessions', {from, limit: 200, to})
    assert.deepEqual(
      await table(page, 'flows-lengths'),
      sessions.commands_per_session.map((l: any) => [String(l.commands), String(l.sessions)]),
    )
    await page.close()
  })

  it('can be used with the keyboard alone', async () => {
    const page = watch(await context.newPage())
    await open(page, '#/overview?range=30')
    // Tab to the first "Show table" button and open it with Enter.
    let focused = ''
    for (let i = 0; i < 30 && focused !== 'Show table'; i++) {
      await page.keyboard.press('Tab')
      focused = await page.evaluate(() => document.activeElement?.textContent ?? '')
    }

    assert.equal(focused, 'Show table')
    await page.keyboard.press('Enter')
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-expanded')), 'true')
    assert.equal(await page.locator('.table-wrap:not([hidden])').count(), 1)
    // Views are links, in the tab order.
    assert.equal(await page.locator('nav a[href^="#/"]').count(), VIEWS.length)
    await page.close()
  })

  it('signs out', async () => {
    const page = watch(await context.newPage())
    await open(page, '#/overview?range=30')
    await Promise.all([page.waitForSelector('#token'), page.click('text=Sign out')])
    assert.equal((await context.cookies()).length, 0)
    await page.close()
  })

  it('logged no console errors', () => {
    assert.deepEqual(consoleErrors, [])
  })
})
