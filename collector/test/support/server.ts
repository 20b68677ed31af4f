/**
 * The real server for a test's store, with a real analytics engine of its own (see analytics.ts):
 * closing the server closes the engine too.
 */
import type {FastifyInstance} from 'fastify'

import type {AnalyticsOptions} from '../../src/analytics/engine.js'

import {
  buildServer,
  type RunningServer,
  type ServerOptions,
  startServer,
  type StartServerOptions,
} from '../../src/server.js'
import {openAnalytics} from './analytics.js'

type WithoutAnalytics<T> = Omit<T, 'analytics'> & {analyticsOptions?: Partial<AnalyticsOptions>}

export async function serve(options: WithoutAnalytics<StartServerOptions>): Promise<RunningServer> {
  const {analyticsOptions, ...rest} = options
  const analytics = await openAnalytics(options.store, analyticsOptions)
  const server = await startServer({...rest, analytics}).catch(async (error: unknown) => {
    await analytics.dispose()
    throw error
  })
  return {
    ...server,
    async close() {
      await server.close()
      await analytics.dispose()
    },
  }
}

export async function build(options: WithoutAnalytics<ServerOptions>): Promise<FastifyInstance> {
  const {analyticsOptions, ...rest} = options
  const analytics = await openAnalytics(options.store, analyticsOptions)
  const app = await buildServer({...rest, analytics}).catch(async (error: unknown) => {
    await analytics.dispose()
    throw error
  })
  app.addHook('onClose', async () => analytics.dispose())
  return app
}
