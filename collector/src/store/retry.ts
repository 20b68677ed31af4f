import {setTimeout as sleep} from 'node:timers/promises'

import {StoreUnavailable} from '../errors.js'

/**
 * SQLite's busy timeout while serving: 0. Its busy handler would sleep on the main thread and
 * stall every request (better-sqlite3 is synchronous); retryWhileBusy waits asynchronously instead.
 */
export const BUSY_TIMEOUT_MS = 0

/** How long a request keeps retrying a locked store before answering 503 (retry later). */
export const BUSY_BUDGET_MS = 80

function isBusy(error: unknown): boolean {
  const {code} = error as {code?: unknown}
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
}

/**
 * Run a synchronous SQLite operation (a whole transaction, so a retry starts clean), retrying
 * while the database is locked by another process, sleeping asynchronously in between so other
 * requests (and /healthz) go on. Past `budgetMs` it throws StoreUnavailable.
 */
export async function retryWhileBusy<T>(operation: () => T, budgetMs = BUSY_BUDGET_MS): Promise<T> {
  const started = performance.now()
  for (let attempt = 0; ; attempt++) {
    try {
      return operation()
    } catch (error) {
      if (!isBusy(error)) throw error
      if (performance.now() - started >= budgetMs) {
        throw new StoreUnavailable('the store is locked by another process', {cause: error})
      }
    }

    // eslint-disable-next-line no-await-in-loop -- retries are sequential by nature
    await sleep(Math.min(2 ** (attempt + 1), 20))
  }
}
