import type {FastifyInstance, onRequestAsyncHookHandler} from 'fastify'

import type {Reports} from '../analytics/engine.js'
import type {Store} from '../store/store.js'

import {adminRoutes} from './admin.js'
import {
  parseActiveQuery,
  parsePropertiesQuery,
  parseReportQuery,
  parseRetentionQuery,
  parseSessionsQuery,
} from './report-query.js'

export {
  parseActiveQuery,
  parsePropertiesQuery,
  parseReportQuery,
  parseRetentionQuery,
  parseSessionsQuery,
} from './report-query.js'

const input = (request: {query: unknown}) => request.query as Record<string, unknown>

/**
 * GET /report, /report/active, /report/sessions, /report/properties and /report/retention
 * (`requireReader`: the admin token, or the dashboard's session cookie from the same origin), from
 * the analytics engine; and the admin routes (`requireAdmin`: the token only).
 */
export async function reportRoutes(
  app: FastifyInstance,
  options: {
    analytics: Reports
    requireAdmin: onRequestAsyncHookHandler
    requireReader: onRequestAsyncHookHandler
    store: Store
  },
): Promise<void> {
  const {analytics, requireAdmin, requireReader, store} = options

  app.get('/report', {onRequest: requireReader}, async (request) => {
    const query = parseReportQuery(input(request))
    return {...query, rows: await analytics.report(query)}
  })

  app.get('/report/active', {onRequest: requireReader}, async (request) => {
    const query = parseActiveQuery(input(request))
    return {...query, rows: await analytics.active(query)}
  })

  app.get('/report/sessions', {onRequest: requireReader}, async (request) => {
    const query = parseSessionsQuery(input(request))
    return {...query, ...(await analytics.sessions(query))}
  })

  app.get('/report/properties', {onRequest: requireReader}, async (request) => {
    const query = parsePropertiesQuery(input(request))
    return {...query, rows: await analytics.properties(query)}
  })

  app.get('/report/retention', {onRequest: requireReader}, async (request) => {
    const query = parseRetentionQuery(input(request))
    return {...query, ...(await analytics.retention(query))}
  })

  await app.register(adminRoutes, {analytics, authorize: requireAdmin, store})
}
