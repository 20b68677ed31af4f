import {existsSync, rmSync} from 'node:fs'
import {request as httpRequest} from 'node:http'
import {request as httpsRequest} from 'node:https'
import {parseArgs, type ParseArgsConfig} from 'node:util'

import type {ActiveRow, PropertyRow, ReportRow, SessionsReport} from './analytics/types.js'

import {analyticsPathFor, removeEngineFiles} from './analytics/location.js'
import {AnalyticsThread} from './analytics/thread.js'
import {assertStrongAdminToken} from './auth.js'
import {parseTrustProxy} from './dashboard/trust-proxy.js'
import {HttpError} from './errors.js'
import {rateLimitsFromSettings} from './rate-limits.js'
import {parseDuration} from './routes/admin.js'
import {parseActiveQuery, parsePropertiesQuery, parseReportQuery, parseSessionsQuery} from './routes/report.js'
import {startServer} from './server.js'
import {assertNotDirectory, resolveStoreLocation} from './store/location.js'
import {isPostgresUrl, openStore} from './store/open.js'

export {parseDuration} from './routes/admin.js'

const USAGE = `Usage: telemetry-collector <command> [options]

Commands:
  serve    Run the HTTP collector.
           --port <n>          port to listen on (default 8080; 0 picks a free one)
           --host <addr>       address to listen on (default 127.0.0.1)
           --store <path|url>  SQLite file (default ./telemetry.db) or postgres:// URL
           --log-level <lvl>   fatal|error|warn|info|debug|trace|silent (default info; logs go to stderr)
           --sqlite-sync <m>   full (default) or normal
           --analytics <path>  the analytics engine's DuckDB file (default: beside a SQLite store,
                               <store>.analytics.duckdb; ./telemetry-analytics.duckdb for PostgreSQL)
           --analytics-memory <size>   the engine's memory limit (default 1GB)
           --analytics-threads <n>     the engine's threads (default 2)
           --min-instances <n>  report rows backed by fewer distinct instances are folded into
                               "(other)" (default 3; 1 shows every row)
           --values-per-day <n>  distinct values a dimension keeps per UTC day, later new ones
                               counted as "(other)" (default 1000): anyone may post events
           --compact-after <s>  seconds after a deletion or purge before the engine's file is
                               rewritten without the deleted rows (default 60, at most 900)
           --rate-limit-deletions <max>/<window>  per client address (default 30/1m; off)
           --rate-limit-events <max>/<window>     per client address (default 1200/1m; off)
           --rate-limit-auth <max>/<window>       failed admin authentications (default 10/15m; off)
           --trust-proxy <addrs>                  proxies whose X-Forwarded-For names the client
  report   Print a report from the running collector (GET /report with COLLECTOR_ADMIN_TOKEN), so that
           it holds every event the collector acknowledged.
           --url <collector URL> (default http://127.0.0.1:8080), --by <dimension> (default command):
           product, version, command, event, outcome, error, os, arch, ci, node, day, week, month, flag,
           suggestion or property.<name>; filters --product, --version, --command, --event, --outcome,
           --from YYYY-MM-DD, --to YYYY-MM-DD; --limit <n>, --json
  report active    Active instances per period: --period day|week|month, --product, --from, --to, --json
  report sessions  Commands per session and the commands run next: --product, --from, --to, --limit, --json
  report properties  The property names each custom event carried: --event, --from, --to, --json
  purge    Delete events received longer ago than a retention period, through the running server.
           --older-than <n>s|m|h|d|w (for example 365d), --deletions (also older deletion records),
           --url <collector URL> (default http://127.0.0.1:8080)
  rebuild  Recreate the analytics engine's data from the store of record, through the running server.
           --url

Every command answers --help.
Environment: COLLECTOR_ADMIN_TOKEN (enables the report and admin routes, at least 32 characters; report,
purge and rebuild send it), COLLECTOR_STORE (default for --store), COLLECTOR_URL (default for --url),
COLLECTOR_RATE_LIMIT_DELETIONS, COLLECTOR_RATE_LIMIT_EVENTS, COLLECTOR_RATE_LIMIT_AUTH,
COLLECTOR_TRUST_PROXY (defaults for the flags of the same names).`

type Cell = null | number | string

function table(header: string[], rows: Cell[][], empty = '(no events)'): string {
  const cells = rows.map((r) => r.map((c) => (c === null ? '(none)' : String(c))))
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)))
  const line = (c: string[]) => c.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ')
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map((c) => line(c))]
  if (rows.length === 0) out.push(empty)
  return out.join('\n')
}

export function formatTable(rows: ReportRow[], keyTitle: string): string {
  return table(
    [keyTitle, 'events', 'instances', 'failures', 'p50_ms', 'p90_ms', 'p99_ms'],
    rows.map((r) => [r.key, r.events, r.instances, r.failures, r.p50_ms ?? '-', r.p90_ms ?? '-', r.p99_ms ?? '-']),
  )
}

function formatActive(rows: ActiveRow[]): string {
  return table(
    ['period', 'instances', 'events'],
    rows.map((r) => [r.period, r.instances, r.events]),
  )
}

function formatProperties(rows: PropertyRow[]): string {
  return table(
    ['event', 'property', 'events'],
    rows.map((r) => [r.event, r.property, r.events]),
    '(no custom event properties)',
  )
}

function formatSessions(report: SessionsReport): string {
  const lengths = table(
    ['commands', 'sessions'],
    report.commands_per_session.map((r) => [r.commands, r.sessions]),
    '(no sessions)',
  )
  const next = table(
    ['command', 'outcome', 'total', 'next', 'count'],
    report.next.map((r) => [r.command, r.outcome, r.total, r.ended ? '(end of session)' : r.next, r.count]),
    '(no sessions)',
  )
  return `${report.sessions} sessions\n\n${lengths}\n\n${next}`
}

/** Ask the running collector: a report (GET) or an admin operation (POST), with the admin token. */
async function callServer(url: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const token = process.env.COLLECTOR_ADMIN_TOKEN
  if (!token) throw new Error("set COLLECTOR_ADMIN_TOKEN to the running collector's admin token")
  const target = new URL(path, url)
  const payload = body === undefined ? undefined : JSON.stringify(body)
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest
  const {status, text} = await new Promise<{status: number; text: string}>((resolve, reject) => {
    const req = send(
      target,
      {
        headers: {
          authorization: `Bearer ${token}`,
          ...(payload === undefined
            ? {}
            : {'content-length': Buffer.byteLength(payload), 'content-type': 'application/json'}),
        },
        method: payload === undefined ? 'GET' : 'POST',
      },
      (res) => {
        let data = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          data += chunk
        })
        res.on('end', () => resolve({status: res.statusCode ?? 0, text: data}))
        res.on('error', reject)
      },
    )
    req.on('error', (error) => reject(new Error(`cannot reach the collector at ${url}: ${error.message}`)))
    req.end(payload)
  })
  let json: Record<string, unknown>
  try {
    json = JSON.parse(text) as Record<string, unknown>
  } catch {
    throw new Error(`the collector at ${url} answered ${status} without JSON`)
  }

  if (status !== 200) throw new Error(`the collector answered ${status}: ${String(json.error ?? text)}`)
  return json
}

/**
 * parseArgs, refusing an option given twice: parseArgs keeps the last one silently, where the HTTP
 * routes refuse a repeated parameter.
 */
function parseOptions<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T) {
  const {tokens} = parseArgs({allowPositionals: true, args, options, strict: false, tokens: true})
  const seen = new Set<string>()
  for (const token of tokens) {
    if (token.kind !== 'option') continue
    if (seen.has(token.name)) throw new Error(`--${token.name} is given twice`)
    seen.add(token.name)
  }

  return parseArgs({args, options, strict: true})
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

async function serve(args: string[]): Promise<void> {
  const {values} = parseOptions(args, {
    analytics: {type: 'string'},
    'analytics-memory': {default: '1GB', type: 'string'},
    'analytics-threads': {default: '2', type: 'string'},
    'compact-after': {default: '60', type: 'string'},
    host: {default: '127.0.0.1', type: 'string'},
    'log-level': {default: 'info', type: 'string'},
    'min-instances': {default: '3', type: 'string'},
    port: {default: '8080', type: 'string'},
    'rate-limit-auth': {type: 'string'},
    'rate-limit-deletions': {type: 'string'},
    'rate-limit-events': {type: 'string'},
    'sqlite-sync': {default: 'full', type: 'string'},
    store: {type: 'string'},
    'trust-proxy': {type: 'string'},
    'values-per-day': {default: '1000', type: 'string'},
  })
  const port = Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`invalid --port ${values.port}`)
  if (!LOG_LEVELS.includes(values['log-level'])) {
    throw new Error(`invalid --log-level ${values['log-level']}: one of ${LOG_LEVELS.join(', ')}`)
  }

  if (values['sqlite-sync'] !== 'full' && values['sqlite-sync'] !== 'normal')
    throw new Error('--sqlite-sync must be full or normal')
  const minInstances = wholeNumber('min-instances', values['min-instances'], 1, 1_000_000)
  const threads = wholeNumber('analytics-threads', values['analytics-threads'], 1, 256)
  const compactAfterSeconds = wholeNumber('compact-after', values['compact-after'], 0, 900)
  const valuesPerDay = wholeNumber('values-per-day', values['values-per-day'], 10, 1_000_000)
  if (!/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(values['analytics-memory'])) {
    throw new Error(`invalid --analytics-memory ${values['analytics-memory']}: a size such as 512MB or 2GB`)
  }

  const adminToken = process.env.COLLECTOR_ADMIN_TOKEN || undefined
  // Checked before the store opens: a refused start leaves no file behind.
  if (adminToken) assertStrongAdminToken(adminToken)
  const rateLimits = rateLimitsFromSettings({
    auth: values['rate-limit-auth'],
    deletions: values['rate-limit-deletions'],
    events: values['rate-limit-events'],
  })
  const trustProxy = values['trust-proxy'] ?? process.env.COLLECTOR_TRUST_PROXY
  const location = resolveStoreLocation(values.store)
  assertNotDirectory(location)
  // Every file the collector makes (the store, the engine's file and their journals) is its owner's only.
  process.umask(0o077)
  const created = !isPostgresUrl(location) && !existsSync(location)
  const store = await openStore(location, {sqlite: {synchronous: values['sqlite-sync']}})
  const analyticsPath = values.analytics ?? analyticsPathFor(location)
  const analyticsCreated = !existsSync(analyticsPath)
  let analytics: AnalyticsThread | undefined
  const server = await (async () => {
    // In a worker thread of its own, with its own connection to the store (opened, and migrated, above).
    analytics = await AnalyticsThread.open({
      options: {
        compactAfterSeconds,
        memoryLimit: values['analytics-memory'],
        minInstances,
        path: analyticsPath,
        threads,
        valuesPerDay,
      },
      store: location,
    })
    return startServer({
      adminToken,
      analytics,
      host: values.host,
      logger: {level: values['log-level'], stream: process.stderr},
      port,
      rateLimits,
      store,
      // Behind a TLS proxy: believe its X-Forwarded-* (rate limits per client, the dashboard's cookie Secure).
      trustProxy: parseTrustProxy(trustProxy),
    })
  })().catch(async (error: unknown) => {
    await analytics?.close()
    await store.close()
    // A start that fails (the port in use, an unknown host) leaves no new, empty store behind.
    if (created) for (const suffix of ['', '-wal', '-shm']) rmSync(location + suffix, {force: true})
    if (analyticsCreated) removeEngineFiles(analyticsPath)
    throw error
  })
  analytics!.log = server.app.log
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
      await analytics!.close()
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

const REPORT_PATHS = {
  active: '/report/active',
  properties: '/report/properties',
  rows: '/report',
  sessions: '/report/sessions',
}

/**
 * A report from the running collector (GET /report...), so that it holds every event the
 * collector acknowledged: only the server sees its own store whole (see docs/operators.md).
 */
async function report(args: string[]): Promise<void> {
  const kind = args[0] === 'active' || args[0] === 'sessions' || args[0] === 'properties' ? args[0] : 'rows'
  const {values} = parseOptions(kind === 'rows' ? args : args.slice(1), {
    by: {type: 'string'},
    command: {type: 'string'},
    event: {type: 'string'},
    from: {type: 'string'},
    json: {default: false, type: 'boolean'},
    limit: {type: 'string'},
    outcome: {type: 'string'},
    period: {type: 'string'},
    product: {type: 'string'},
    store: {type: 'string'},
    to: {type: 'string'},
    url: {type: 'string'},
    version: {type: 'string'},
  })
  const {json, store, url, ...given} = values
  if (store !== undefined) {
    throw new Error('report asks the running collector: give --url (or COLLECTOR_URL), not --store')
  }

  const filters = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as Record<string, string>
  // Checked here first, so that a mistyped option is refused in the CLI's words without a server.
  const parse = {
    active: parseActiveQuery,
    properties: parsePropertiesQuery,
    rows: parseReportQuery,
    sessions: parseSessionsQuery,
  }[kind]
  parse(filters)
  const answer = await callServer(collectorUrl(url), `${REPORT_PATHS[kind]}?${new URLSearchParams(filters)}`)
  let text: string
  switch (kind) {
    case 'active': {
      text = formatActive(answer.rows as ActiveRow[])
      break
    }

    case 'properties': {
      text = formatProperties(answer.rows as PropertyRow[])
      break
    }

    case 'sessions': {
      text = formatSessions(answer as unknown as SessionsReport)
      break
    }

    default: {
      text = formatTable(answer.rows as ReportRow[], String(answer.by))
    }
  }

  process.stdout.write(json ? `${JSON.stringify(answer, null, 2)}\n` : `${text}\n`)
}

function collectorUrl(value: string | undefined): string {
  return value ?? process.env.COLLECTOR_URL ?? 'http://127.0.0.1:8080'
}

async function purge(args: string[]): Promise<void> {
  const {values} = parseOptions(args, {
    deletions: {default: false, type: 'boolean'},
    'older-than': {type: 'string'},
    url: {type: 'string'},
  })
  if (!values['older-than']) throw new Error('purge needs --older-than, for example --older-than 365d')
  parseDuration(values['older-than'])
  const result = await callServer(collectorUrl(values.url), '/admin/purge', {
    deletions: values.deletions,
    older_than: values['older-than'],
  })
  process.stdout.write(
    `removed ${result.events} events received before ${result.cutoff}` +
      `${values.deletions ? `, ${result.deletions} deletion records` : ''}\n`,
  )
}

async function rebuild(args: string[]): Promise<void> {
  const {values} = parseOptions(args, {url: {type: 'string'}})
  const result = await callServer(collectorUrl(values.url), '/admin/rebuild', {})
  process.stdout.write(`rebuilt the analytics from ${result.events} events\n`)
}

/** A whole number flag within bounds. */
function wholeNumber(name: string, value: string, min: number, max: number): number {
  const n = Number(value)
  if (!/^\d+$/.test(value) || n < min || n > max) {
    throw new Error(`invalid --${name} ${value}: a whole number from ${min} to ${max}`)
  }

  return n
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

      case 'rebuild': {
        await rebuild(rest)
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
