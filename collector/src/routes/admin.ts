import type {FastifyInstance, FastifyRequest, onRequestAsyncHookHandler} from 'fastify'

import type {Store} from '../store/store.js'

import {HttpError} from '../errors.js'

/** "365d", "12h", "2w", "30m", "45s" to milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)\s*([smhdw])$/.exec(text.trim())
  if (!match) throw new Error(`invalid duration ${JSON.stringify(text)}: use a number and s, m, h, d or w, like 365d`)
  const unit = {d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, w: 604_800_000}[match[2] as 'd']
  const ms = Number(match[1]) * unit
  if (!Number.isFinite(ms) || ms > Date.now() - Date.UTC(2000, 0, 1))
    throw new Error(`duration ${text} reaches back before the year 2000`)
  return ms
}

interface PurgeBody {
  /** Also remove deletion records and tombstones older than the cutoff. */
  deletions?: boolean
  older_than?: string
  /** Also remove the aggregates of days before the cutoff. */
  rollups?: boolean
}

const PURGE_FIELDS: readonly string[] = ['older_than', 'deletions', 'rollups']

/**
 * A purge or rebuild of a large store runs for minutes: the idle-socket timeout (REQUEST_TIMEOUT_MS)
 * would close its connection, and the operator would read "cannot reach the collector" while it runs
 * on. Only for an authorized admin request, whose body is already in.
 */
function waitForTheAnswer(request: FastifyRequest): void {
  request.raw.socket.setTimeout(0)
}

/**
 * POST /admin/purge and POST /admin/rebuild: retention and repair through the running server,
 * so that no second process ever writes the store.
 */

export async function adminRoutes(
  app: FastifyInstance,
  options: {authorize: onRequestAsyncHookHandler; store: Store},
): Promise<void> {
  const {authorize, store} = options

  app.post('/admin/purge', {onRequest: authorize}, async (request) => {
    waitForTheAnswer(request)
    const body = (request.body ?? {}) as PurgeBody
    if (typeof body !== 'object' || Array.isArray(body)) {
      throw new HttpError(400, 'the body must be a JSON object (application/json), for example {"older_than": "365d"}')
    }

    // A misspelt option would otherwise purge without doing what was asked.
    const unknown = Object.keys(body).find((key) => !PURGE_FIELDS.includes(key))
    if (unknown !== undefined) {
      throw new HttpError(400, `unknown field ${JSON.stringify(unknown)}: a purge takes ${PURGE_FIELDS.join(', ')}`)
    }

    if (typeof body.older_than !== 'string') {
      throw new HttpError(400, 'older_than is required, for example {"older_than": "365d"}')
    }

    for (const flag of ['deletions', 'rollups'] as const) {
      if (body[flag] !== undefined && typeof body[flag] !== 'boolean')
        throw new HttpError(400, `${flag} must be a boolean`)
    }

    let ms: number
    try {
      ms = parseDuration(body.older_than)
    } catch (error) {
      throw new HttpError(400, (error as Error).message)
    }

    const cutoff = new Date(Date.now() - ms)
    const result = await store.purge(cutoff, {deletions: body.deletions, rollups: body.rollups})
    request.log.info(result, 'purged')
    return {cutoff: cutoff.toISOString(), ...result}
  })

  app.post('/admin/rebuild', {onRequest: authorize}, async (request, reply) => {
    waitForTheAnswer(request)
    const body = (request.body ?? {}) as {discard_purged?: unknown}
    const unknown =
      typeof body === 'object' && !Array.isArray(body) ? Object.keys(body).find((key) => key !== 'discard_purged') : ''
    if (unknown !== undefined) {
      throw new HttpError(400, 'a rebuild takes a JSON object with at most one field, discard_purged (a boolean)')
    }

    if (body.discard_purged !== undefined && typeof body.discard_purged !== 'boolean')
      throw new HttpError(400, 'discard_purged must be a boolean')
    const {events, purged, rebuilt} = await store.rebuild({discardPurged: body.discard_purged === true})
    // The aggregates are the only record of purged events: rebuilding from what is left loses them.
    if (!rebuilt) {
      return reply.code(409).send({
        error: `nothing was rebuilt: the aggregates count ${purged} events whose raw events were purged, and a rebuild would lose them for good; to rebuild anyway, send {"discard_purged": true} (telemetry-collector rebuild --discard-purged)`,
        purged,
      })
    }

    request.log.info({discarded: purged, events}, 'rebuilt')
    return {discarded: purged, events}
  })
}
