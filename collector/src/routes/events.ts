import type {FastifyInstance, FastifyRequest} from 'fastify'

import {PassThrough, type Readable} from 'node:stream'
import {createGunzip} from 'node:zlib'

import type {RateLimit} from '../rate-limits.js'
import type {Store} from '../store/store.js'

import {HttpError} from '../errors.js'
import {MAX_REQUEST_BYTES} from '../limits.js'
import {rateLimitFor} from '../rate-limits.js'
import {checkBatch, isOversizeReason, RequestRejected} from '../validate.js'

const utf8 = new TextDecoder('utf8', {fatal: true})

/**
 * Inflate a gzip request body as it arrives, failing with 413 as soon as the inflated size
 * passes MAX_REQUEST_BYTES: a gzip bomb is never inflated into memory.
 */
function gunzipWithLimit(payload: Readable): Readable {
  const out = new PassThrough() as PassThrough & {receivedEncodedLength?: number}
  const gunzip = createGunzip()
  let encoded = 0
  let inflated = 0
  let failed = false
  const fail = (error: HttpError) => {
    if (failed) return
    failed = true
    payload.removeAllListeners('data')
    payload.unpipe()
    gunzip.destroy()
    out.destroy(error)
  }

  payload.on('data', (chunk: Buffer) => {
    encoded += chunk.length
    // Fastify compares this with Content-Length and with its (encoded) body limit.
    out.receivedEncodedLength = encoded
    if (!gunzip.write(chunk)) payload.pause()
  })
  gunzip.on('drain', () => payload.resume())
  payload.on('end', () => gunzip.end())
  payload.on('error', (error) => fail(new HttpError(400, `request body could not be read: ${error.message}`)))
  gunzip.on('data', (chunk: Buffer) => {
    if (failed) return
    inflated += chunk.length
    if (inflated > MAX_REQUEST_BYTES) {
      fail(new HttpError(413, `request body inflates to more than ${MAX_REQUEST_BYTES} bytes`))
      return
    }

    out.write(chunk)
  })
  gunzip.on('end', () => {
    if (!failed) out.end()
  })
  gunzip.on('error', () => fail(new HttpError(400, 'request body is not valid gzip')))
  return out
}

function parseJson(_request: FastifyRequest, body: Buffer, done: (error: Error | null, body?: unknown) => void): void {
  let text: string
  try {
    text = utf8.decode(body)
  } catch {
    done(new HttpError(400, 'request body is not valid UTF-8'))
    return
  }

  try {
    done(null, JSON.parse(text))
  } catch {
    // JSON.parse's message quotes the body: never echo or log it.
    done(new HttpError(400, 'request body is not valid JSON'))
  }
}

export async function eventsRoutes(
  app: FastifyInstance,
  options: {rateLimit: false | RateLimit; store: Store},
): Promise<void> {
  const {store} = options
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', {bodyLimit: MAX_REQUEST_BYTES, parseAs: 'buffer'}, parseJson)

  app.post(
    '/events',
    {
      bodyLimit: MAX_REQUEST_BYTES,
      config: {rateLimit: rateLimitFor(options.rateLimit)},
      // The body is JSON whatever the Content-Type says (clients differ); an absent or empty one too.
      async onRequest(request) {
        if (!request.headers['content-type']) request.headers['content-type'] = 'application/json'
      },
      async preParsing(request, _reply, payload) {
        const encoding = (request.headers['content-encoding'] ?? 'identity').trim().toLowerCase()
        if (encoding === 'identity' || encoding === '') return payload
        if (encoding === 'gzip' || encoding === 'x-gzip') return gunzipWithLimit(payload)
        throw new HttpError(415, `unsupported Content-Encoding ${JSON.stringify(encoding)}: send gzip or no encoding`)
      },
    },
    async (request, reply) => {
      let check
      try {
        check = checkBatch(request.body)
      } catch (error) {
        if (error instanceof RequestRejected) throw new HttpError(error.statusCode, error.message)
        throw error
      }

      if (check.valid.length === 0) {
        const tooLarge = check.rejected.every((r) => isOversizeReason(r.reason))
        request.log.info({rejected: check.rejected.length}, 'no valid message')
        return reply.code(tooLarge ? 413 : 400).send({
          accepted: 0,
          duplicates: 0,
          error: tooLarge ? 'message too large' : 'no valid message',
          rejected: check.rejected,
          suppressed: 0,
        })
      }

      const result = await store.insert(check.valid)
      request.log.info({...result, rejected: check.rejected.length}, 'events stored')
      return {...result, rejected: check.rejected}
    },
  )
}
