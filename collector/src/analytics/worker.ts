/**
 * The analytics engine's worker thread (started by thread.ts): its own connection to the store of
 * record (a SQLite file read-only, or the PostgreSQL database) feeds DuckDB, and it answers the
 * server's report calls. Its state goes back after every background pass, for /healthz.
 */
import {parentPort, workerData} from 'node:worker_threads'

import type {AnalyticsWorkerData, WorkerReply, WorkerRequest} from './thread.js'

import {HttpError} from '../errors.js'
import {isPostgresUrl, openStore} from '../store/open.js'
import {Analytics} from './engine.js'

const data = workerData as AnalyticsWorkerData
const port = parentPort!
const send = (reply: WorkerReply) => port.postMessage(reply)
const store = await openStore(data.store, isPostgresUrl(data.store) ? {poolSize: 2} : {sqlite: {readonly: true}})
const analytics = await Analytics.open(store, {
  ...data.options,
  log: {
    error: (object, message) =>
      send({log: {message, object: {error: String((object as {err?: unknown}).err)}}, type: 'log'}),
    warn: (object, message) => send({log: {message, object}, type: 'log'}),
  },
})
// The first state says the engine is open; then one after every background pass's period.
send({status: analytics.status(), type: 'status'})
const timer = setInterval(() => send({status: analytics.status(), type: 'status'}), 250)

port.on('message', async (request: WorkerRequest) => {
  if (request.type === 'close') {
    clearInterval(timer)
    await analytics.close()
    await store.close()
    port.close()
    return
  }

  try {
    const method = analytics[request.method] as (...args: unknown[]) => Promise<unknown>
    const result = await method.apply(analytics, request.args)
    send({id: request.id, result, type: 'answer'})
  } catch (error) {
    const {message, name} = error instanceof Error ? error : new Error(String(error))
    const http = error instanceof HttpError ? {retryAfter: error.retryAfter, statusCode: error.statusCode} : {}
    send({error: {message, name, ...http}, id: request.id, type: 'answer'})
  }
})
