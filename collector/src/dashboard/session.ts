import type {FastifyRequest} from 'fastify'

import {createHmac, randomBytes, timingSafeEqual} from 'node:crypto'

export const SESSION_COOKIE = 'telemetry_session'
/** Sessions last 12 hours; then the admin token is asked for again. */
export const SESSION_MS = 12 * 60 * 60 * 1000
/**
 * The page sends this header with every data request. A browser sends a custom header to another
 * origin only after a CORS preflight, which the collector never approves, so a request that carries
 * it comes from the dashboard's own origin even where the browser sends no Sec-Fetch-Site or Origin.
 */
export const DASHBOARD_HEADER = 'x-telemetry-dashboard'

export interface Sessions {
  /** True when a session cookie is valid and the request comes from the collector's own origin. */
  hasValidSession(request: FastifyRequest): boolean
  /** A new signed session value, and when it expires. */
  issue(now?: number): {expires: Date; value: string}
  /** Forget a session (logout): its cookie is refused from now on, even if replayed. */
  revoke(request: FastifyRequest): void
  /** The session's expiry when its cookie is valid (origin not checked: for pages, not data). */
  sessionExpiry(request: FastifyRequest): Date | undefined
}

/** Read one cookie from the Cookie header (RFC 6265 syntax; the value is base64url, never quoted). */
export function readCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie
  if (!header) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }

  return undefined
}

/**
 * Whether a request comes from the page of the collector's own origin: Sec-Fetch-Site (sent by
 * current browsers to https and localhost) must say same-origin, an Origin header must name this
 * origin, and the dashboard's own header must be present.
 */
export function isSameOrigin(request: FastifyRequest, options: {requireHeader: boolean}): boolean {
  const site = request.headers['sec-fetch-site']
  if (site !== undefined && site !== 'same-origin') return false
  const {origin} = request.headers
  if (origin !== undefined && origin !== `${request.protocol}://${request.host}`) return false
  return !options.requireHeader || request.headers[DASHBOARD_HEADER] === '1'
}

/**
 * Signed, stateless session values: `id.expiry.mac`, the MAC an HMAC-SHA256 keyed by the admin
 * token and a random salt made when the server starts. So a restart or a new admin token signs
 * everyone out, and a stolen cookie tells nothing about the token.
 */
export function createSessions(adminToken: string | undefined): Sessions {
  const key = adminToken ? createHmac('sha256', randomBytes(32)).update(adminToken).digest() : undefined
  // Sessions ended by logout, until they would have expired anyway.
  const revoked = new Map<string, number>()

  const mac = (body: string) => createHmac('sha256', key!).update(body).digest('base64url')

  const parse = (request: FastifyRequest): undefined | {expires: number; id: string} => {
    const value = readCookie(request, SESSION_COOKIE)
    if (!key || !value || value.length > 200) return undefined
    const [id, expiresText, signature, extra] = value.split('.')
    if (!id || !expiresText || !signature || extra !== undefined || !/^\d{1,15}$/.test(expiresText)) return undefined
    const expected = Buffer.from(mac(`${id}.${expiresText}`))
    const given = Buffer.from(signature)
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined
    const expires = Number(expiresText)
    if (expires <= Date.now() || revoked.has(id)) return undefined
    return {expires, id}
  }

  return {
    hasValidSession: (request) => isSameOrigin(request, {requireHeader: true}) && parse(request) !== undefined,
    issue(now = Date.now()) {
      if (!key) throw new Error('sessions need an admin token')
      const expires = now + SESSION_MS
      const body = `${randomBytes(16).toString('base64url')}.${expires}`
      return {expires: new Date(expires), value: `${body}.${mac(body)}`}
    },
    revoke(request) {
      const session = parse(request)
      const now = Date.now()
      for (const [id, expires] of revoked) if (expires <= now) revoked.delete(id)
      if (session) revoked.set(session.id, session.expires)
    },
    sessionExpiry(request) {
      const session = parse(request)
      return session ? new Date(session.expires) : undefined
    },
  }
}
