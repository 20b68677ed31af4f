/**
 * The SQLite aggregator's worker thread (started by sqlite-aggregator-thread.ts): its own connection
 * to the store's file folds new events into the aggregates a chunk (one transaction) at a time. The
 * write lock serialises it with ingest, and ingest goes first: a background chunk waits while inserts
 * run (at most MAX_DEFER_MS), and a busy insert waits for the chunk that holds the lock. Reports ask it
 * to catch up to the newest event; deletion, purge and rebuild run here too, since they fold first.
 */
import {setTimeout as sleep} from 'node:timers/promises'
import {parentPort, workerData} from 'node:worker_threads'

import {Aggregator} from './rollup/aggregator.js'
import {
  AGGREGATOR_SIDE,
  type AggregatorReply,
  type AggregatorRequest,
  type AggregatorWorkerData,
} from './sqlite-aggregator-thread.js'
import {SqliteSharedLock} from './sqlite-shared-lock.js'
import {SqliteStore} from './sqlite.js'

/** Ingest is running if an insert ended less than this long ago (requests arrive in bursts). */
const QUIET_MS = 50
/**
 * The longest a background chunk waits for ingest to pause (inserts wait for a chunk, which takes
 * up to seconds): under steady load, folding goes on.
 */
const MAX_DEFER_MS = 2000

const data = workerData as AggregatorWorkerData
const port = parentPort!
const ingesting = new Int32Array(data.ingesting)
const store = new SqliteStore(data.path, {
  role: 'aggregator',
  sharedLock: new SqliteSharedLock(data.lock, AGGREGATOR_SIDE),
  synchronous: data.synchronous,
})
let lastPoke = 0
/** Reports waiting for a catch-up: a deferred background chunk goes ahead at once. */
let waiting = 0
/** The newest event a report asked for. */
let target = 0
/** The server's store is closing: no new background chunk. */
let closing = false

/** Whether a background chunk should wait: ingest is running and no report waits for the aggregates. */
function ingestGoesFirst(): boolean {
  return !closing && waiting === 0 && (Atomics.load(ingesting, 0) > 0 || Date.now() - lastPoke < QUIET_MS)
}

async function ingestPause(): Promise<void> {
  const start = Date.now()
  while (Date.now() - start < MAX_DEFER_MS && ingestGoesFirst()) {
    // eslint-disable-next-line no-await-in-loop -- polling two numbers, briefly
    await sleep(5)
  }
}

const aggregator = new Aggregator(async (background) => {
  if (background) await ingestPause()
  // In the background, until the store closes; for a report, up to the newest event it asked for.
  if (background ? closing : store.watermark() >= target) return 0
  return store.foldNext()
})

async function answer(request: Extract<AggregatorRequest, {type: 'call'}>): Promise<unknown> {
  switch (request.method) {
    case 'catchUp': {
      target = Math.max(target, request.args[0])
      waiting++
      try {
        await aggregator.catchUp()
      } finally {
        waiting--
      }

      return undefined
    }

    case 'deleteInstance': {
      return store.deleteInstance(...request.args)
    }

    case 'purge': {
      return store.purge(...request.args)
    }

    case 'rebuild': {
      return store.rebuild()
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
