import type {FastifyInstance} from 'fastify'

import type {RateLimit} from '../rate-limits.js'
import type {Store} from '../store/store.js'

import {HttpError} from '../errors.js'
import {rateLimitFor} from '../rate-limits.js'

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** DELETE /instances/:instance_id: no token, deleting by one's own (secret, random) id. */
export async function instancesRoutes(
  app: FastifyInstance,
  options: {rateLimit: false | RateLimit; store: Store},
): Promise<void> {
  const {store} = options
  const config = {rateLimit: rateLimitFor(options.rateLimit)}
  app.delete<{Params: {instance_id: string}}>('/instances/:instance_id', {config}, async (request, reply) => {
    const instanceId = request.params.instance_id
    if (!UUID.test(instanceId)) throw new HttpError(400, 'instance_id must be a UUID')
    const record = await store.deleteInstance(instanceId)
    request.log.info({deletion_id: record.deletion_id, events_deleted: record.events_deleted}, 'instance deleted')
    return reply
      .code(202)
      .header('location', `/deletions/${record.deletion_id}`)
      .send({deletion_id: record.deletion_id})
  })
}
