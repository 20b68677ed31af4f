import type {FastifyInstance} from 'fastify'

import type {Store} from '../store/store.js'

import {HttpError} from '../errors.js'
import {UUID} from './instances.js'

/** GET /deletions/:deletion_id: the proof of a deletion (never the instance id). */
export async function deletionsRoutes(app: FastifyInstance, options: {store: Store}): Promise<void> {
  const {store} = options
  app.get<{Params: {deletion_id: string}}>('/deletions/:deletion_id', async (request) => {
    const id = request.params.deletion_id
    if (!UUID.test(id)) throw new HttpError(404, 'no such deletion')
    const record = await store.getDeletion(id)
    if (!record) throw new HttpError(404, 'no such deletion')
    return record
  })
}
