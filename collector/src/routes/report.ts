import type {FastifyInstance, FastifyRequest} from 'fastify'

import {createHash, timingSafeEqual} from 'node:crypto'

import type {Store} from '../store/store.js'

import {HttpError} from '../errors.js'
import {adminRoutes} from './admin.js'
import {parseActiveQuery, parseReportQuery, parseSessionsQuery} from './report-query.js'

export {parseActiveQuery, parseReportQuery, parseSessionsQuery} from './report-query.js'

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest()
}

/** The admin-token check of every report and admin route. */
export function adminAuthorizer(adminToken: string | undefined): (request: FastifyRequest) => Promise<void> {
  const expected = adminToken ? digest(adminToken) : undefined
  return async (request: FastifyRequest) => {
    if (!expected) {
      throw new HttpError(403, 'report routes are disabled: start the collector with COLLECTOR_ADMIN_TOKEN set')
    }

    const header = request.headers.authorization ?? ''
    const match = /^Bearer\s+(.+)$/i.exec(header)
    if (!match || !timingSafeEqual(digest(match[1].trim()), expected)) {
      throw new HttpError(401, 'admin token required: Authorization: Bearer <COLLECTOR_ADMIN_TOKEN>')
    }
  }
}

/** GET /report, /report/active, /report/sessions and the admin routes; admin token required. */
export async function reportRoutes(
  app: FastifyInstance,
  options: {adminToken?: string; hasValidSession?: (request: FastifyRequest) => boolean; store: Store},
): Promise<void> {
  const {store} = options
  const authorizeAdmin = adminAuthorizer(options.adminToken)
  // Dashboard (issue 11): the report routes, not the admin ones, also accept a valid session cookie
  // sent from the collector's own page.
  const authorize = async (request: FastifyRequest) => {
    if (options.adminToken && options.hasValidSession?.(request)) return
    return authorizeAdmin(request)
  }

  app.get('/report', {onRequest: authorize}, async (request) => {
    const query = parseReportQuery(request.query as Record<string, unknown>)
    return {...query, rows: await store.report(query)}
  })

  app.get('/report/active', {onRequest: authorize}, async (request) => {
    const query = parseActiveQuery(request.query as Record<string, unknown>)
    return {...query, rows: await store.active(query)}
  })

  app.get('/report/sessions', {onRequest: authorize}, async (request) => {
    const query = parseSessionsQuery(request.query as Record<string, unknown>)
    return {...query, ...(await store.sessions(query))}
  })

  await app.register(adminRoutes, {authorize: authorizeAdmin, store})
}
