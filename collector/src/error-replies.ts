import type {FastifyInstance, FastifyReply, FastifyRequest} from 'fastify'
import type {Duplex} from 'node:stream'

import {STATUS_CODES} from 'node:http'

import {HttpError, isStoreUnavailable} from './errors.js'
import {MAX_FORM_BYTES, MAX_REQUEST_BYTES} from './limits.js'

/** On every answer: no MIME sniffing, and no cache keeps a report, a record or an error. */
export const SECURITY_HEADERS = {'cache-control': 'no-store', 'x-content-type-options': 'nosniff'}

type AnyError = Error & {code?: string; statusCode?: number}

/**
 * Fixed messages for fastify's own errors: theirs can quote the URL or a header (an instance id,
 * a token), so none is echoed.
 */
const FASTIFY_MESSAGES: Record<string, string> = {
  FST_ERR_BAD_URL: 'malformed URL',
  FST_ERR_CTP_EMPTY_BODY: 'request body is empty',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'request body is empty',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'Content-Length does not match the body',
  // The admin and sign-in routes' JSON parser (POST /events has its own): bad JSON or a prototype key.
  FST_ERR_CTP_INVALID_JSON_BODY: 'request body is not valid JSON, or has a __proto__ or constructor key',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported Content-Type',
  FST_ERR_MAX_PARAM_LENGTH: 'URL parameter too long',
}

/** The limit a body passed: the form parser's, or the route's. */
function bodyLimitOf(request: FastifyRequest): number {
  if (request.headers['content-type']?.startsWith('application/x-www-form-urlencoded')) return MAX_FORM_BYTES
  return request.routeOptions.bodyLimit ?? MAX_REQUEST_BYTES
}

/** What a fastify 4xx says, in words of our own (theirs may quote the request). */
function fastifyMessage(error: AnyError, request: FastifyRequest): string | undefined {
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return `request body is larger than ${bodyLimitOf(request)} bytes`
  return error.code ? FASTIFY_MESSAGES[error.code] : undefined
}

/** The client went away while its request was read: nothing to answer, nothing wrong here. */
function clientGone(request: FastifyRequest, error: AnyError): boolean {
  const streamError =
    error.code === 'ECONNRESET' || error.code === 'ERR_STREAM_PREMATURE_CLOSE' || error.message === 'aborted'
  return streamError && request.raw.destroyed
}

/** Stack frames without the message line: messages can quote stored data or the request. */
function frames(error: Error): string | undefined {
  return error.stack?.split('\n').slice(1).join('\n')
}

/**
 * Every error becomes `{error: reason}`: HttpError with its own status; fastify's 4xx with a
 * fixed message; 503 (retry later) only when the store is unavailable; anything else is a bug,
 * 500, logged at error level with its stack.
 */
export function replyToError(error: AnyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  let status: number
  let message: string
  const log = {errCode: error.code, errName: error.name}
  if (error instanceof HttpError) {
    status = error.statusCode
    ;({message} = error)
    if (error.retryAfter !== undefined) reply.header('retry-after', String(error.retryAfter))
  } else if (clientGone(request, error)) {
    // Usually nobody reads this answer; logged at info: nothing failed on this side.
    request.log.info(log, 'client disconnected')
    return reply.headers(SECURITY_HEADERS).code(400).send({error: 'request aborted'})
  } else if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    status = error.statusCode
    message = fastifyMessage(error, request) ?? STATUS_CODES[status]?.toLowerCase() ?? 'bad request'
  } else if (isStoreUnavailable(error)) {
    request.log.warn(log, 'store unavailable')
    status = 503
    message = 'the collector could not store or read data; retry later'
  } else {
    request.log.error({...log, stack: frames(error)}, 'request failed')
    status = 500
    message = 'internal error'
  }

  if (status >= 400 && status < 500) request.log.info({errCode: error.code, status}, 'request refused')
  if (status === 413) reply.header('connection', 'close')
  // Set here too: fastify answers a malformed URL without running onSend hooks.
  return reply.headers(SECURITY_HEADERS).code(status).send({error: message})
}

/** Node's HTTP parser errors (bad request line, headers too large, timeouts) as `{error}` JSON. */
export function replyToClientError(this: FastifyInstance, error: AnyError, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy()
    return
  }

  const status =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? 431
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? 408
        : error.code === 'HPE_URI_TOO_LONG'
          ? 414
          : 400
  this.log.info({errCode: error.code, status}, 'client error')
  const body = JSON.stringify({error: STATUS_CODES[status]?.toLowerCase() ?? 'bad request'})
  socket.end(
    [
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
      'Connection: close',
      'Content-Type: application/json; charset=utf-8',
      `Content-Length: ${Buffer.byteLength(body)}`,
      'X-Content-Type-Options: nosniff',
      'Cache-Control: no-store',
      '',
      body,
    ].join('\r\n'),
  )
}
