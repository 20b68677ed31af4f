import fastify, {type FastifyInstance, type FastifyServerOptions} from 'fastify'

import type {Store} from './store/store.js'

import {dashboardRoutes} from './dashboard/routes.js'
import {createSessions} from './dashboard/session.js'
import {HttpError} from './errors.js'
import {MAX_REQUEST_BYTES} from './limits.js'
import {deletionsRoutes} from './routes/deletions.js'
import {eventsRoutes} from './routes/events.js'
import {healthRoutes} from './routes/health.js'
import {instancesRoutes} from './routes/instances.js'
import {reportRoutes} from './routes/report.js'

export interface ServerOptions {
  /** Bearer token for the report routes; without it they answer 403. */
  adminToken?: string
  /**
   * Logging: `false` for none, or pino options such as `{level: 'info', stream}`. Default: info
   * level to stdout. Request logs name the route pattern, never the URL's ids or the body.
   */
  logger?: FastifyServerOptions['logger']
  store: Store
  /**
   * Believe X-Forwarded-* from these proxies (fastify's trustProxy: true, an address list or a hop
   * count). Behind a TLS proxy it makes the dashboard's cookie Secure and rate limits per client.
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

/** Fastify's default request serializer, minus the URL (it can hold an instance id). */
function serializeRequest(request: {ip?: string; method: string; routeOptions?: {url?: string}}) {
  return {method: request.method, remoteAddress: request.ip, route: request.routeOptions?.url ?? '(no route)'}
}

/** Build the collector's Fastify app (not listening yet). */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const logger = options.logger === undefined ? {level: 'info'} : options.logger === false ? false : options.logger
  const app = fastify({
    bodyLimit: MAX_REQUEST_BYTES,
    connectionTimeout: 60_000,
    logger:
      logger === false
        ? false
        : {
            ...(typeof logger === 'object' ? logger : {}),
            // Headers, bodies and full URLs are never logged.
            serializers: {req: serializeRequest as never},
          },
    requestTimeout: 60_000,
    return503OnClosing: true,
    trustProxy: options.trustProxy ?? false,
  })

  app.setErrorHandler((error: Error & {code?: string; statusCode?: number}, request, reply) => {
    let status = error instanceof HttpError ? error.statusCode : (error.statusCode ?? 500)
    let message: string
    if (error instanceof HttpError) {
      ;({message} = error)
    } else if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      message = `request body is larger than ${MAX_REQUEST_BYTES} bytes`
    } else if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || error.code === 'FST_ERR_CTP_EMPTY_BODY') {
      message = 'request body is empty'
    } else if (status < 500 && error.code?.startsWith('FST_')) {
      ;({message} = error)
    } else {
      // Store and unexpected errors: their messages can quote data, so log name and code only.
      status = 503
      message = 'the collector could not store or read data; retry later'
      request.log.error({errCode: error.code, errName: error.name}, 'request failed')
    }

    if (status >= 400 && status < 500) request.log.info({errCode: error.code, status}, 'request refused')
    if (status === 413) reply.header('connection', 'close')
    return reply.code(status).send({error: message})
  })

  app.setNotFoundHandler((_request, reply) => reply.code(404).send({error: 'not found'}))

  await app.register(healthRoutes, {store: options.store})
  await app.register(eventsRoutes, {store: options.store})
  await app.register(instancesRoutes, {store: options.store})
  await app.register(deletionsRoutes, {store: options.store})
  // Dashboard (issue 11): its session cookie also opens the report routes, from the same origin.
  const sessions = createSessions(options.adminToken)
  await app.register(reportRoutes, {
    adminToken: options.adminToken,
    hasValidSession: sessions.hasValidSession,
    store: options.store,
  })
  await app.register(dashboardRoutes, {adminToken: options.adminToken, sessions})
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
