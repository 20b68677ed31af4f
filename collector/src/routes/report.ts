import type {FastifyInstance, onRequestAsyncHookHandler} from 'fastify'

import type {Store} from '../store/store.js'

import {adminRoutes} from './admin.js'
import {parseActiveQuery, parsePropertiesQuery, parseReportQuery, parseSessionsQuery} from './report-query.js'

export {parseActiveQuery, parsePropertiesQuery, parseReportQuery, parseSessionsQuery} from './report-query.js'

/**
 * GET /report, /report/active, /report/sessions and /report/properties (`requireReader`: the admin token, or the
 * dashboard's session cookie from the same origin), and the admin routes (`requireAdmin`: the token only).
 */
export async function reportRoutes(
  app: FastifyInstance,
  options: {requireAdmin: onRequestAsyncHookHandler; requireReader: onRequestAsyncHookHandler; store: Store},
): Promise<void> {
  const {requireAdmin, requireReader, store} = options

  app.get('/report', {onRequest: requireReader}, async (request) => {
    const query = parseReportQuery(request.query as Record<string, unknown>)
    return {...query, rows: await store.report(query)}
  })

  app.get('/report/active', {onRequest: requireReader}, async (request) => {
    const query = parseActiveQuery(request.query as Record<string, unknown>)
    return {...query, rows: await store.active(query)}
  })

  app.get('/report/sessions', {onRequest: requireReader}, async (request) => {
    const query = parseSessionsQuery(request.query as Record<string, unknown>)
    return {...query, ...(await store.sessions(query))}
  })

  app.get('/report/properties', {onRequest: requireReader}, async (request) => {
    const query = parsePropertiesQuery(request.query as Record<string, unknown>)
    return {...query, rows: await store.properties(query)}
  })

  await app.register(adminRoutes, {authorize: requireAdmin, store})
}
