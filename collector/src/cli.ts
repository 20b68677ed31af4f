import {parseArgs} from 'node:util'

import type {ReportRow} from './store/store.js'

import {assertStrongAdminToken} from './auth.js'
import {HttpError} from './errors.js'
import {rateLimitsFromSettings} from './rate-limits.js'
import {parseReportQuery} from './routes/report.js'
import {startServer} from './server.js'
import {assertStoreExists, resolveStoreLocation} from './store/location.js'
import {openStore} from './store/open.js'

const USAGE = `Usage: telemetry-collector <command> [options]

Commands:
  serve    Run the HTTP collector.
           --port <n>          port to listen on (default 8080; 0 picks a free one)
           --host <addr>       address to listen on (default 127.0.0.1)
           --store <path|url>  SQLite file (default ./telemetry.db) or postgres:// URL
           --log-level <lvl>   fatal|error|warn|info|debug|silent (default info; logs go to stderr)
           --sqlite-sync <m>   full (default) or normal
           --rate-limit-deletions <max>/<window>  per client address (default 30/1m; off)
           --rate-limit-events <max>/<window>     per client address (default 1200/1m; off)
           --rate-limit-auth <max>/<window>       failed admin authentications (default 10/15m; off)
           --trust-proxy <addrs>                  proxies whose X-Forwarded-For names the client
  report   Print the most used commands/products/versions/OSes/days.
           --store, --by command|product|version|os|day (default command),
           --product <name>, --event <name>, --from YYYY-MM-DD, --to YYYY-MM-DD, --limit <n>, --json
  purge    Delete events received longer ago than a retention period.
           --store, --older-than <n>d|h|w (for example 365d)

Every command answers --help.
Environment: COLLECTOR_ADMIN_TOKEN (enables GET /report; at least 32 characters), COLLECTOR_STORE
(default for --store), COLLECTOR_RATE_LIMIT_DELETIONS, COLLECTOR_RATE_LIMIT_EVENTS,
COLLECTOR_RATE_LIMIT_AUTH, COLLECTOR_TRUST_PROXY (defaults for the flags of the same names).`

const MAX_DURATION_MS = 36_500 * 86_400_000

/** "365d", "12h", "2w", "30m", "45s" to milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)\s*([smhdw])$/.exec(text.trim())
  if (!match) throw new Error(`invalid duration ${JSON.stringify(text)}: use a number and s, m, h, d or w, like 365d`)
  const unit = {d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, w: 604_800_000}[match[2] as 'd']
  const ms = Number(match[1]) * unit
  if (ms > MAX_DURATION_MS) throw new Error(`duration ${JSON.stringify(text)} is too long: at most 100 years (36500d)`)
  return ms
}

export function formatTable(rows: ReportRow[], keyTitle: string): string {
  const cells = rows.map((r) => [r.key ?? '(none)', String(r.events), String(r.instances)])
  const header = [keyTitle, 'events', 'instances']
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)))
  const line = (c: string[]) => [c[0].padEnd(widths[0]), c[1].padStart(widths[1]), c[2].padStart(widths[2])].join('  ')
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map((c) => line(c))]
  if (rows.length === 0) out.push('(no events)')
  return out.join('\n')
}

async function serve(args: string[]): Promise<void> {
  const {values} = parseArgs({
    args,
    options: {
      host: {default: '127.0.0.1', type: 'string'},
      'log-level': {default: 'info', type: 'string'},
      port: {default: '8080', type: 'string'},
      'rate-limit-auth': {type: 'string'},
      'rate-limit-deletions': {type: 'string'},
      'rate-limit-events': {type: 'string'},
      'sqlite-sync': {default: 'full', type: 'string'},
      store: {type: 'string'},
      'trust-proxy': {type: 'string'},
    },
    strict: true,
  })
  const port = Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`invalid --port ${values.port}`)
  if (values['sqlite-sync'] !== 'full' && values['sqlite-sync'] !== 'normal')
    throw new Error('--sqlite-sync must be full or normal')
  const adminToken = process.env.COLLECTOR_ADMIN_TOKEN || undefined
  // Checked before the store opens: a refused start leaves no file behind.
  if (adminToken) assertStrongAdminToken(adminToken)
  const rateLimits = rateLimitsFromSettings({
    auth: values['rate-limit-auth'],
    deletions: values['rate-limit-deletions'],
    events: values['rate-limit-events'],
  })
  const trustProxy = values['trust-proxy'] ?? process.env.COLLECTOR_TRUST_PROXY
  const store = await openStore(resolveStoreLocation(values.store), {sqlite: {synchronous: values['sqlite-sync']}})
  const server = await startServer({
    adminToken,
    host: values.host,
    logger: {level: values['log-level'], stream: process.stderr},
    port,
    rateLimits,
    store,
    trustProxy: trustProxy || undefined,
  }).catch(async (error: unknown) => {
    await store.close()
    throw error
  })
  if (!adminToken) server.app.log.warn('COLLECTOR_ADMIN_TOKEN is not set: report routes are disabled')
  if (process.getuid?.() === 0) {
    server.app.log.warn('running as root: run the collector as an unprivileged user that owns only its store')
  }

  process.stdout.write(`listening on ${server.url}\n`)

  let stopping = false
  const stop = async (signal: string) => {
    // A second signal while stopping: give up waiting.
    // eslint-disable-next-line n/no-process-exit, unicorn/no-process-exit -- the CLI's own signal handler
    if (stopping) process.exit(1)

    stopping = true
    server.app.log.info({signal}, 'shutting down')
    try {
      await server.close()
      await store.close()
      process.exitCode = 0
    } catch {
      process.exitCode = 1
    }

    // Nothing else may keep the process alive once the server and the store are closed.
    // eslint-disable-next-line n/no-process-exit, unicorn/no-process-exit -- the CLI's own signal handler
    process.exit()
  }

  process.on('SIGTERM', () => {
    stop('SIGTERM').catch(() => {})
  })
  process.on('SIGINT', () => {
    stop('SIGINT').catch(() => {})
  })
}

async function report(args: string[]): Promise<void> {
  const {values} = parseArgs({
    args,
    options: {
      by: {type: 'string'},
      event: {type: 'string'},
      from: {type: 'string'},
      json: {default: false, type: 'boolean'},
      limit: {type: 'string'},
      product: {type: 'string'},
      store: {type: 'string'},
      to: {type: 'string'},
    },
    strict: true,
  })
  const {json, store: location, ...filters} = values
  const query = parseReportQuery(Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined)))
  const where = resolveStoreLocation(location)
  assertStoreExists(where)
  const store = await openStore(where)
  try {
    const rows = await store.report(query)
    process.stdout.write(json ? `${JSON.stringify({...query, rows}, null, 2)}\n` : `${formatTable(rows, query.by)}\n`)
  } finally {
    await store.close()
  }
}

async function purge(args: string[]): Promise<void> {
  const {values} = parseArgs({
    args,
    options: {'older-than': {type: 'string'}, store: {type: 'string'}},
    strict: true,
  })
  if (!values['older-than']) throw new Error('purge needs --older-than, for example --older-than 365d')
  const cutoff = new Date(Date.now() - parseDuration(values['older-than']))
  const where = resolveStoreLocation(values.store)
  assertStoreExists(where)
  const store = await openStore(where)
  try {
    const removed = await store.purge(cutoff)
    process.stdout.write(`removed ${removed} events received before ${cutoff.toISOString()}\n`)
  } finally {
    await store.close()
  }
}

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv
  try {
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(`${USAGE}\n`)
      return
    }

    switch (command) {
      case '--help':
      case '-h':
      case 'help':
      case undefined: {
        process.stdout.write(`${USAGE}\n`)
        if (command === undefined) process.exitCode = 2
        break
      }

      case 'purge': {
        await purge(rest)
        break
      }

      case 'report': {
        await report(rest)
        break
      }

      case 'serve': {
        await serve(rest)
        break
      }

      default: {
        process.stderr.write(`unknown command ${JSON.stringify(command)}\n\n${USAGE}\n`)
        process.exitCode = 2
      }
    }
  } catch (error) {
    const message = error instanceof HttpError || error instanceof Error ? error.message : String(error)
    process.stderr.write(`telemetry-collector ${command}: ${message}\n`)
    process.exitCode = 1
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replaceAll('\\', '/'))
if (isMain) await main(process.argv.slice(2))
