import type {FastifyInstance, FastifyRequest} from 'fastify'

import {gunzip} from 'node:zlib'

import type {RateLimit} from '../rate-limits.js'
import type {Store} from '../store/store.js'

import {HttpError} from '../errors.js'
import {MAX_REQUEST_BYTES} from '../limits.js'
import {rateLimitFor} from '../rate-limits.js'
import {checkBatch, isOversizeReason, RequestRejected} from '../validate.js'

const utf8 = new TextDecoder('utf8', {fatal: true})

/** The request's Content-Encoding, normalised: '' when there is none. */
function encodingOf(request: FastifyRequest): string {
  const encoding = (request.headers['content-encoding'] ?? '').trim().toLowerCase()
  return encoding === 'identity' ? '' : encoding === 'x-gzip' ? 'gzip' : encoding
}

function parseJson(body: Buffer, done: (error: Error | null, body?: unknown) => void): void {
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

/**
 * Parse the body (at most MAX_REQUEST_BYTES as received). A gzip body is inflated in one call, off
 * the main thread; zlib stops as soon as the output passes MAX_REQUEST_BYTES (413), so a gzip bomb
 * is never inflated into memory.
 */
function parseBody(request: FastifyRequest, body: Buffer, done: (error: Error | null, body?: unknown) => void): void {
  if (encodingOf(request) !== 'gzip') {
    parseJson(body, done)
    return
  }

  gunzip(body, {maxOutputLength: MAX_REQUEST_BYTES}, (error, inflated) => {
    if (error === null) parseJson(inflated, done)
    else if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      done(new HttpError(413, `request body inflates to more than ${MAX_REQUEST_BYTES} bytes`))
    } else done(new HttpError(400, 'request body is not valid gzip'))
  })
}

export async function eventsRoutes(
  app: FastifyInstance,
  options: {rateLimit: false | RateLimit; store: Store},
): Promise<void> {
  const {store} = options
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', {bodyLimit: MAX_REQUEST_BYTES, parseAs: 'buffer'}, parseBody)

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
        const encoding = encodingOf(request)
        if (encoding === '' || encoding === 'gzip') return payload
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
