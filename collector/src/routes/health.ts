import type {FastifyInstance} from 'fastify'

import type {Reports} from '../analytics/engine.js'
import type {Store} from '../store/store.js'

import {VERSION} from '../version.js'

/**
 * GET /healthz: 200 while the store of record answers (ingest and deletion depend on it alone),
 * with the analytics engine's state beside it (ok, behind or failing, and its lag), 503 when not.
 */
export async function healthRoutes(app: FastifyInstance, options: {analytics: Reports; store: Store}): Promise<void> {
  const {analytics, store} = options
  app.get('/healthz', async (request, reply) => {
    const answer = {analytics: analytics.status(), store: store.kind, version: VERSION}
    try {
      await store.ping()
      return {status: 'ok', ...answer}
    } catch (error) {
      request.log.warn({errCode: (error as {code?: string}).code, errName: (error as Error).name}, 'store unreachable')
      return reply.code(503).send({error: 'store unreachable', status: 'unavailable', ...answer})
    }
  })
}
