/**
 * The SQLite aggregator's worker thread (started by sqlite-aggregator-thread.ts): its own connection
 * to the store's file folds new events into the aggregates a chunk (one transaction) at a time. The
 * write lock serialises it with ingest, and ingest goes first: a background chunk waits while inserts
 * run (see rollup/aggregator.ts), and a busy insert waits for the chunk that holds the lock. Reports
 * ask it to catch up to the newest event stored when they ask; deletion, purge and rebuild run here
 * too, since they fold first.
 */
import {parentPort, workerData} from 'node:worker_threads'

import {Aggregator, QUIET_MS} from './rollup/aggregator.js'
import {
  AGGREGATOR_SIDE,
  type AggregatorReply,
  type AggregatorRequest,
  type AggregatorWorkerData,
} from './sqlite-aggregator-thread.js'
import {SqliteSharedLock} from './sqlite-shared-lock.js'
import {SqliteStore} from './sqlite.js'

const data = workerData as AggregatorWorkerData
const port = parentPort!
const ingesting = new Int32Array(data.ingesting)
const store = new SqliteStore(data.path, {
  role: 'aggregator',
  sharedLock: new SqliteSharedLock(data.lock, AGGREGATOR_SIDE),
  synchronous: data.synchronous,
})
let lastPoke = 0
/** The newest event a report asked for. */
let target = 0
/** The server's store is closing: no new background chunk. */
let closing = false

const aggregator = new Aggregator(
  async (background) => {
    // In the background, until the store closes; for a report, up to the newest event it asked for.
    if (background ? closing : store.watermark() >= target) return 0
    return store.foldNext()
  },
  () => Atomics.load(ingesting, 0) > 0 || Date.now() - lastPoke < QUIET_MS,
)

async function answer(request: Extract<AggregatorRequest, {type: 'call'}>): Promise<unknown> {
  switch (request.method) {
    case 'catchUp': {
      target = Math.max(target, request.args[0])
      await aggregator.catchUp()
      return undefined
    }

    case 'deleteInstance': {
      return store.deleteInstance(...request.args)
    }

    case 'purge': {
      return store.purge(...request.args)
    }

    case 'rebuild': {
      return store.rebuild(...request.args)
    }
  }
}

port.on('message', (request: AggregatorRequest) => {
  switch (request.type) {
    case 'call': {
      answer(request).then(
        (result) => port.postMessage({id: request.id, result} satisfies AggregatorReply),
        (error: Error & {code?: string}) =>
          port.postMessage({
            error: {code: error.code, message: error.message, name: error.name},
            id: request.id,
          } satisfies AggregatorReply),
      )
      break
    }

    case 'close': {
      closing = true
      aggregator
        .close()
        .then(async () => store.close())
        .finally(() => port.close())
      break
    }

    case 'poke': {
      lastPoke = Date.now()
      aggregator.poke()
      break
    }
  }
})

// Events stored before this thread started (a restart, a migration that rebuilds the aggregates).
aggregator.poke()
