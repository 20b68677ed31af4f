import type {FastifyInstance} from 'fastify'

import type {Store} from '../store/store.js'

export async function healthRoutes(app: FastifyInstance, options: {store: Store}): Promise<void> {
  const {store} = options
  app.get('/healthz', async (request, reply) => {
    try {
      await store.ping()
      return {status: 'ok', store: store.kind}
    } catch (error) {
      request.log.warn({errCode: (error as {code?: string}).code, errName: (error as Error).name}, 'store unreachable')
      return reply.code(503).send({error: 'store unreachable', status: 'unavailable', store: store.kind})
    }
  })
}
