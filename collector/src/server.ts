import fastify, {type FastifyInstance, type FastifyServerOptions, type onRequestAsyncHookHandler} from 'fastify'

import type {Reports} from './analytics/engine.js'
import type {Store} from './store/store.js'

import {assertStrongAdminToken, requireAdminToken} from './auth.js'
import {dashboardRoutes} from './dashboard/routes.js'
import {createSessions} from './dashboard/session.js'
import {replyToClientError, replyToError, SECURITY_HEADERS} from './error-replies.js'
import {MAX_REQUEST_BYTES, REQUEST_TIMEOUT_MS} from './limits.js'
import {DEFAULT_RATE_LIMITS, failureLimiter, type RateLimits, registerRateLimits} from './rate-limits.js'
import {deletionsRoutes} from './routes/deletions.js'
import {eventsRoutes} from './routes/events.js'
import {healthRoutes} from './routes/health.js'
import {instancesRoutes} from './routes/instances.js'
import {reportRoutes} from './routes/report.js'

export interface ServerOptions {
  /** Bearer token for the report routes (at least 32 characters); without it they answer 403. */
  adminToken?: string
  /** The analytics engine the reports come from (fed from `store`). */
  analytics: Reports
  /**
   * Logging: `false` for none, or pino options such as `{level: 'info', stream}`. Default: info
   * level to stdout. Request logs name the route pattern, never the URL's ids or the body.
   */
  logger?: FastifyServerOptions['logger']
  /** Per client address; each defaults to DEFAULT_RATE_LIMITS. */
  rateLimits?: Partial<RateLimits>
  /** How long a request may take to arrive (default REQUEST_TIMEOUT_MS, 60 s). */
  requestTimeoutMs?: number
  store: Store
  /**
   * Believe X-Forwarded-* from these proxies (fastify's trustProxy: true, addresses, CIDRs or a hop
   * count). Without it the client address (for rate limits) is the connection's; behind a TLS proxy
   * it also makes the dashboard's cookie Secure.
   */
  trustProxy?: FastifyServerOptions['trustProxy']
}

export interface StartServerOptions extends ServerOptions {
  /** Default 127.0.0.1. */
  host?: string
  /** 0 picks a free port. Default 8080. */
  port?: number
}

export interface RunningServer {
  app: FastifyInstance
  /** Stop accepting requests, finish those in flight; does not close the store. */
  close(): Promise<void>
  port: number
  /** e.g. http://127.0.0.1:8080 */
  url: string
}

/**
 * Fastify's default request serializer, minus the URL (it can hold an instance id) and the
 * client address (personal data; rate limits keep addresses in memory only).
 */
function serializeRequest(request: {method: string; routeOptions?: {url?: string}}) {
  return {method: request.method, route: request.routeOptions?.url ?? '(no route)'}
}

/** Build the collector's Fastify app (not listening yet). */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  if (options.adminToken !== undefined) assertStrongAdminToken(options.adminToken)
  const limits: RateLimits = {...DEFAULT_RATE_LIMITS, ...options.rateLimits}
  const timeout = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS
  const logger = options.logger === undefined ? {level: 'info'} : options.logger === false ? false : options.logger
  const app = fastify({
    bodyLimit: MAX_REQUEST_BYTES,
    clientErrorHandler: replyToClientError,
    connectionTimeout: timeout,
    frameworkErrors: replyToError,
    // Node checks request timeouts every 30 s by default: a slow client could hold on for 90 s.
    http: {connectionsCheckingInterval: Math.min(1000, timeout)},
    logger:
      logger === false
        ? false
        : {
            ...(typeof logger === 'object' ? logger : {}),
            // Headers, bodies and full URLs are never logged.
            serializers: {req: serializeRequest as never},
          },
    requestTimeout: timeout,
    return503OnClosing: true,
    trustProxy: options.trustProxy ?? false,
  })

  // Node keeps its own 60 s headers timeout, and with a shorter request timeout only the longer counts.
  app.server.headersTimeout = timeout
  app.setErrorHandler(replyToError)
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({error: 'not found'}))
  app.addHook('onSend', async (_request, reply) => {
    reply.header('x-content-type-options', SECURITY_HEADERS['x-content-type-options'])
    // Answers are per request (reports, deletion records): no cache may keep them. A route
    // that serves static files may set its own.
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', SECURITY_HEADERS['cache-control'])
  })

  await registerRateLimits(app)
  // One failed-authentication allowance per address, shared by the bearer token and the sign-in form.
  const failures = failureLimiter(app, limits.failedAuth)
  const requireAdmin = requireAdminToken({adminToken: options.adminToken, failures})
  await app.register(healthRoutes, {analytics: options.analytics, store: options.store})
  await app.register(eventsRoutes, {rateLimit: limits.events, store: options.store})
  await app.register(instancesRoutes, {rateLimit: limits.deletions, store: options.store})
  await app.register(deletionsRoutes, {store: options.store})
  // The dashboard's session cookie, sent from the collector's own page, also opens the report routes
  // (not the admin ones).
  const sessions = createSessions(options.adminToken)
  const requireReader: onRequestAsyncHookHandler = async (request, reply) => {
    if (options.adminToken && sessions.hasValidSession(request)) return
    return requireAdmin(request, reply)
  }

  await app.register(reportRoutes, {analytics: options.analytics, requireAdmin, requireReader, store: options.store})
  await app.register(dashboardRoutes, {adminToken: options.adminToken, failures, sessions})
  return app
}

/** Build the app and listen; resolves once it accepts connections. */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const app = await buildServer(options)
  await app.listen({host: options.host ?? '127.0.0.1', port: options.port ?? 8080})
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 8080)
  const host = options.host ?? '127.0.0.1'
  const urlHost = host.includes(':') ? `[${host}]` : host
  return {
    app,
    close: () => app.close(),
    port,
    url: `http://${urlHost}:${port}`,
  }
}
