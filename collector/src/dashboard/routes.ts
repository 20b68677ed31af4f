import type {FastifyInstance, FastifyReply, FastifyRequest} from 'fastify'

import fastifyStatic from '@fastify/static'
import {createHash, timingSafeEqual} from 'node:crypto'
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import type {FailureLimiter} from '../rate-limits.js'

import {MAX_FORM_BYTES} from '../limits.js'
import {loginPage} from './login-page.js'
import {isSameOrigin, SESSION_COOKIE, SESSION_MS, type Sessions} from './session.js'

/** The page's built files (npm run build:web), from src/ and from dist/ alike. */
export const WEB_ROOT = fileURLToPath(new URL('../../web/dist/', import.meta.url))

export interface DashboardOptions {
  adminToken?: string
  /** The admin routes' failed-authentication limit: a wrong token here counts against the same allowance. */
  failures: FailureLimiter
  sessions: Sessions
}

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  // Observable Plot puts a <style> element in each chart: styles may be inline, scripts may not.
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; " +
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  // Not no-referrer: with it, browsers send "Origin: null" on the sign-in form's POST.
  'referrer-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
}

function page(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply.code(status).headers(SECURITY_HEADERS).type('text/html; charset=utf-8').send(html)
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest()
}

function cookie(request: FastifyRequest, value: string, maxAgeSeconds: number, expires: Date): string {
  // Secure whenever the browser talks https to us (directly or, with trustProxy, through a proxy).
  const secure = request.protocol === 'https' ? '; Secure' : ''
  return `${SESSION_COOKIE}=${value}; Path=/; Max-Age=${maxAgeSeconds}; Expires=${expires.toUTCString()}; HttpOnly; SameSite=Strict${secure}`
}

/**
 * The dashboard: `GET /` (the login page, or the app once signed in), `POST /login`, `POST /logout`,
 * and the page's static files under /dashboard/. The data comes from the report routes.
 */
export async function dashboardRoutes(app: FastifyInstance, options: DashboardOptions): Promise<void> {
  const {adminToken, failures, sessions} = options
  const expected = adminToken ? digest(adminToken) : undefined
  const indexFile = join(WEB_ROOT, 'index.html')
  // The app's shell holds no data; read once.
  const appHtml = existsSync(indexFile)
    ? readFileSync(indexFile, 'utf8')
    : '<!doctype html><title>Dashboard not built</title><p>Run <code>npm run build</code> in collector/.</p>'

  await app.register(fastifyStatic, {
    cacheControl: false,
    decorateReply: false,
    index: false,
    // web/build.js writes .br and .gz beside each file.
    preCompressed: true,
    prefix: '/dashboard/',
    root: WEB_ROOT,
    setHeaders(reply) {
      // The files change with each build; revalidate (cheap, with the ETag) rather than cache blindly.
      reply.header('cache-control', 'no-cache')
      reply.header('x-content-type-options', 'nosniff')
    },
    wildcard: false,
  })

  // HTML forms post application/x-www-form-urlencoded; only the login and logout routes read it.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    {bodyLimit: MAX_FORM_BYTES, parseAs: 'string'},
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  )

  app.get('/', async (request, reply) => {
    if (!expected) return page(reply, 503, loginPage({disabled: true}))
    if (sessions.sessionExpiry(request)) return page(reply, 200, appHtml)
    return page(reply, 200, loginPage({}))
  })

  app.post('/login', async (request, reply) => {
    if (!expected) return page(reply, 503, loginPage({disabled: true}))
    if (!isSameOrigin(request, {requireHeader: false})) return page(reply, 403, loginPage({error: 'origin'}))
    // One allowance per address for guessing the token, here and with `Authorization: Bearer`.
    const limited = (seconds: number) =>
      page(reply.header('retry-after', String(seconds)), 429, loginPage({retryAfter: seconds}))
    const wait = await failures.blocked(request)
    if (wait !== undefined) return limited(wait)
    const token = (request.body as Record<string, unknown> | undefined)?.token
    if (typeof token !== 'string' || !timingSafeEqual(digest(token.trim()), expected)) {
      request.log.info('dashboard login refused')
      const waitAfter = await failures.fail(request)
      return waitAfter === undefined ? page(reply, 401, loginPage({error: 'token'})) : limited(waitAfter)
    }

    const session = sessions.issue()
    return reply
      .header('set-cookie', cookie(request, session.value, SESSION_MS / 1000, session.expires))
      .headers(SECURITY_HEADERS)
      .redirect('./', 303)
  })

  app.post('/logout', async (request, reply) => {
    if (!isSameOrigin(request, {requireHeader: false})) return page(reply, 403, loginPage({error: 'origin'}))
    sessions.revoke(request)
    return reply
      .header('set-cookie', cookie(request, '', 0, new Date(0)))
      .headers(SECURITY_HEADERS)
      .redirect('./', 303)
  })
}
