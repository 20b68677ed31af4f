import type {FastifyInstance, FastifyRequest} from 'fastify'

import {createHash, timingSafeEqual} from 'node:crypto'

import {HttpError} from '../errors.js'
import {DEFAULT_REPORT_LIMIT, MAX_REPORT_LIMIT} from '../limits.js'
import {REPORT_DIMENSIONS, type ReportDimension, type ReportQuery, type Store} from '../store/store.js'

const DAY = /^\d{4}-\d{2}-\d{2}$/
const KNOWN = new Set(['by', 'event', 'from', 'limit', 'product', 'to'])

function isDay(value: string): boolean {
  return (
    DAY.test(value) &&
    !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) &&
    new Date(`${value}T00:00:00Z`).toISOString().startsWith(value)
  )
}

/** Parse and check report parameters (shared by the HTTP route and the CLI). */
export function parseReportQuery(input: Record<string, unknown>): ReportQuery {
  for (const key of Object.keys(input)) {
    if (!KNOWN.has(key)) throw new HttpError(400, `unknown parameter ${JSON.stringify(key)}`)
  }

  const single = (name: string): string | undefined => {
    const value = input[name]
    if (value === undefined) return undefined
    if (typeof value !== 'string') throw new HttpError(400, `${name} must be given once`)
    return value
  }

  const by = (single('by') ?? 'command') as ReportDimension
  if (!REPORT_DIMENSIONS.includes(by)) throw new HttpError(400, `by must be one of ${REPORT_DIMENSIONS.join(', ')}`)
  const query: ReportQuery = {by, limit: DEFAULT_REPORT_LIMIT}
  const limit = single('limit')
  if (limit !== undefined) {
    if (!/^\d+$/.test(limit) || Number(limit) < 1 || Number(limit) > MAX_REPORT_LIMIT) {
      throw new HttpError(400, `limit must be an integer from 1 to ${MAX_REPORT_LIMIT}`)
    }

    query.limit = Number(limit)
  }

  for (const name of ['from', 'to'] as const) {
    const value = single(name)
    if (value === undefined) continue
    if (!isDay(value)) throw new HttpError(400, `${name} must be a date YYYY-MM-DD (UTC, inclusive)`)
    query[name] = value
  }

  for (const name of ['product', 'event'] as const) {
    const value = single(name)
    if (value === undefined) continue
    if (value.length === 0 || value.length > 128) throw new HttpError(400, `${name} must be 1 to 128 characters`)
    query[name] = value
  }

  return query
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest()
}

/** GET /report: aggregate counts and distinct instances; admin token required. */
export async function reportRoutes(
  app: FastifyInstance,
  options: {adminToken?: string; hasValidSession?: (request: FastifyRequest) => boolean; store: Store},
): Promise<void> {
  const {adminToken, store} = options
  const expected = adminToken ? digest(adminToken) : undefined
  const authorize = async (request: FastifyRequest) => {
    if (!expected) {
      throw new HttpError(403, 'report routes are disabled: start the collector with COLLECTOR_ADMIN_TOKEN set')
    }

    // Dashboard (issue 11): a valid session cookie sent from the collector's own page.
    if (options.hasValidSession?.(request)) return

    const header = request.headers.authorization ?? ''
    const match = /^Bearer\s+(.+)$/i.exec(header)
    if (!match || !timingSafeEqual(digest(match[1].trim()), expected)) {
      throw new HttpError(401, 'admin token required: Authorization: Bearer <COLLECTOR_ADMIN_TOKEN>')
    }
  }

  app.get('/report', {onRequest: authorize}, async (request) => {
    const query = parseReportQuery(request.query as Record<string, unknown>)
    const rows = await store.report(query)
    return {...query, rows}
  })
}
