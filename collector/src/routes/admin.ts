import type {FastifyInstance, FastifyRequest, onRequestAsyncHookHandler} from 'fastify'

import type {Reports} from '../analytics/engine.js'
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
}

/**
 * An admin request's body: a JSON object of known fields only (a misspelt option would otherwise be
 * ignored, and the request do what was not asked), `flags` booleans.
 */
function adminBody<T>(
  body: unknown,
  spec: {example: string; fields: readonly string[]; flags: readonly string[]; what: string},
): T {
  const given = (body ?? {}) as Record<string, unknown>
  if (typeof given !== 'object' || Array.isArray(given)) {
    throw new HttpError(400, `the body must be a JSON object (application/json), for example ${spec.example}`)
  }

  const unknown = Object.keys(given).find((key) => !spec.fields.includes(key))
  if (unknown !== undefined) {
    throw new HttpError(400, `unknown field ${JSON.stringify(unknown)}: ${spec.what} takes ${spec.fields.join(', ')}`)
  }

  for (const flag of spec.flags) {
    if (given[flag] !== undefined && typeof given[flag] !== 'boolean')
      throw new HttpError(400, `${flag} must be a boolean`)
  }

  return given as T
}

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
  options: {analytics: Reports; authorize: onRequestAsyncHookHandler; store: Store},
): Promise<void> {
  const {analytics, authorize, store} = options

  app.post('/admin/purge', {onRequest: authorize}, async (request) => {
    waitForTheAnswer(request)
    const body = adminBody<PurgeBody>(request.body, {
      example: '{"older_than": "365d"}',
      fields: ['older_than', 'deletions'],
      flags: ['deletions'],
      what: 'a purge',
    })
    if (typeof body.older_than !== 'string') {
      throw new HttpError(400, 'older_than is required, for example {"older_than": "365d"}')
    }

    let ms: number
    try {
      ms = parseDuration(body.older_than)
    } catch (error) {
      throw new HttpError(400, (error as Error).message)
    }

    const cutoff = new Date(Date.now() - ms)
    const result = await store.purge(cutoff, {deletions: body.deletions})
    // The engine drops the purged events now (reports would anyway, before answering).
    await analytics.catchUp()
    request.log.info(result, 'purged')
    return {cutoff: cutoff.toISOString(), ...result}
  })

  app.post('/admin/rebuild', {onRequest: authorize}, async (request) => {
    waitForTheAnswer(request)
    adminBody(request.body, {example: '{}', fields: [], flags: [], what: 'a rebuild'})
    const {events} = await analytics.rebuild()
    request.log.info({events}, 'rebuilt')
    return {events}
  })
}
