import type {FastifyReply, FastifyRequest} from 'fastify'

import {createHash, timingSafeEqual} from 'node:crypto'

import type {FailureLimiter} from './rate-limits.js'

import {HttpError} from './errors.js'
import {MIN_ADMIN_TOKEN_LENGTH} from './limits.js'

/** Refuse a token that could be guessed: called at start, before anything listens. */
export function assertStrongAdminToken(token: string): void {
  if (token.length < MIN_ADMIN_TOKEN_LENGTH) {
    throw new Error(
      `COLLECTOR_ADMIN_TOKEN is ${token.length} characters long: use at least ${MIN_ADMIN_TOKEN_LENGTH} random characters, for example $(openssl rand -hex 32)`,
    )
  }
}

function tooMany(reply: FastifyReply, seconds: number): HttpError {
  reply.header('retry-after', String(seconds))
  return new HttpError(429, `too many failed authentications from this address: retry in ${seconds} s`)
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest()
}

/** True when the request carries `Authorization: Bearer <token>` (compared in constant time). */
export function hasAdminToken(request: FastifyRequest, expected: Buffer): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')
  return match !== null && timingSafeEqual(digest(match[1].trim()), expected)
}

/**
 * The onRequest hook of admin routes. Without a configured token they answer 403. Wrong or
 * missing tokens answer 401 and count against the client address; past the limit every request
 * from that address answers 429 with Retry-After, a right token included, so guessing cannot go on.
 */
export function requireAdminToken(options: {adminToken?: string; failures: FailureLimiter}) {
  const expected = options.adminToken ? digest(options.adminToken) : undefined
  const {failures} = options
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!expected) {
      throw new HttpError(403, 'report routes are disabled: start the collector with COLLECTOR_ADMIN_TOKEN set')
    }

    const wait = await failures.blocked(request)
    if (wait !== undefined) throw tooMany(reply, wait)
    if (hasAdminToken(request, expected)) return
    const waitAfter = await failures.fail(request)
    if (waitAfter !== undefined) throw tooMany(reply, waitAfter)
    throw new HttpError(401, 'admin token required: Authorization: Bearer <COLLECTOR_ADMIN_TOKEN>')
  }
}
