import type {FastifyInstance, FastifyRequest} from 'fastify'

import rateLimit from '@fastify/rate-limit'

import {HttpError} from './errors.js'

/** At most `max` requests per client address in each window of `windowMs`. */
export interface RateLimit {
  max: number
  windowMs: number
}

/** Per client address; `false` turns one off. */
export interface RateLimits {
  /** DELETE /instances/:id. */
  deletions: false | RateLimit
  /** POST /events (the plugin retries a 429 later, so nothing is lost). */
  events: false | RateLimit
  /** Requests to admin routes with a wrong or missing token. */
  failedAuth: false | RateLimit
}

export const DEFAULT_RATE_LIMITS: RateLimits = {
  deletions: {max: 30, windowMs: 60_000},
  events: {max: 1200, windowMs: 60_000},
  failedAuth: {max: 10, windowMs: 15 * 60_000},
}

const UNITS: Record<string, number> = {h: 3_600_000, m: 60_000, s: 1000}

/** "30/1m", "10/15m", "1200/60s" or "off" (also "0"). */
export function parseRateLimit(text: string): false | RateLimit {
  const value = text.trim().toLowerCase()
  if (value === 'off' || value === '0') return false
  const match = /^(\d+)\s*\/\s*(\d+)\s*([smh])$/.exec(value)
  const max = Number(match?.[1])
  const windowMs = Number(match?.[2]) * UNITS[match?.[3] ?? 's']
  if (!match || max < 1 || windowMs < 1000 || !Number.isSafeInteger(max) || windowMs > 86_400_000) {
    throw new Error(
      `invalid rate limit ${JSON.stringify(text)}: use <max>/<window> with a window of 1s to 24h, like 30/1m, or off`,
    )
  }

  return {max, windowMs}
}

/**
 * Register @fastify/rate-limit for per-route limits only (`rateLimitFor`). Counters live in
 * memory, keyed by the client address (request.ip, which honours trustProxy), and are never
 * logged. IPv6 addresses are grouped by /56 by the plugin, so one host cannot rotate around it.
 */
export async function registerRateLimits(app: FastifyInstance): Promise<void> {
  await app.register(rateLimit, {
    cache: 10_000,
    errorResponseBuilder: (_request, context) =>
      new HttpError(429, `too many requests from this address: retry in ${Math.ceil(context.ttl / 1000)} s`),
    global: false,
  })
}

/** Route config (`config: {rateLimit}`) for one limit. */
export function rateLimitFor(limit: false | RateLimit): false | {max: number; timeWindow: number} {
  return limit === false ? false : {max: limit.max, timeWindow: limit.windowMs}
}

/** Counts failures only: `blocked` peeks, `fail` counts one; both give the seconds to wait when over. */
export interface FailureLimiter {
  blocked(request: FastifyRequest): Promise<number | undefined>
  fail(request: FastifyRequest): Promise<number | undefined>
}

export function failureLimiter(app: FastifyInstance, limit: false | RateLimit): FailureLimiter {
  if (limit === false) return {async blocked() {}, async fail() {}}
  const check = app.createRateLimit({max: limit.max, timeWindow: limit.windowMs})
  const retryAfter = async (request: FastifyRequest, increment: boolean) => {
    const state = await check(request, {increment})
    if (state.isAllowed) return
    // A peek sees the count so far: `max` failures already block the next request.
    const over = increment ? state.isExceeded : state.remaining === 0
    if (over) return Math.max(1, state.ttlInSeconds)
  }

  return {blocked: (request) => retryAfter(request, false), fail: (request) => retryAfter(request, true)}
}

/** Flags win over environment variables (COLLECTOR_RATE_LIMIT_DELETIONS, _EVENTS, _AUTH). */
export function rateLimitsFromSettings(
  flags: {auth?: string; deletions?: string; events?: string},
  env: NodeJS.ProcessEnv = process.env,
): Partial<RateLimits> {
  const limits: Partial<RateLimits> = {}
  const read = (flag: string | undefined, name: string): false | RateLimit | undefined => {
    const text = flag ?? env[`COLLECTOR_RATE_LIMIT_${name.toUpperCase()}`]
    if (text === undefined) return
    try {
      return parseRateLimit(text)
    } catch (error) {
      const source = flag === undefined ? `COLLECTOR_RATE_LIMIT_${name.toUpperCase()}` : `--rate-limit-${name}`
      throw new Error(`${source}: ${(error as Error).message}`)
    }
  }

  const deletions = read(flags.deletions, 'deletions')
  const events = read(flags.events, 'events')
  const failedAuth = read(flags.auth, 'auth')
  if (deletions !== undefined) limits.deletions = deletions
  if (events !== undefined) limits.events = events
  if (failedAuth !== undefined) limits.failedAuth = failedAuth
  return limits
}
