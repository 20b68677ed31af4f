/**
 * SQLite waits on a lock held by another process without blocking the event loop: the busy
 * timeout is a few milliseconds, and a busy write is retried asynchronously with backoff, so
 * /healthz and every other request keep being served meanwhile.
 */
import {setTimeout as sleep} from 'node:timers/promises'

/** busy_timeout for SQLite connections (ms): the longest the event loop blocks on a lock. */
export const SQLITE_BUSY_TIMEOUT_MS = 20
/**
 * Total time a request's write keeps retrying before it fails: the request then gets 503 and the
 * client retries later, so no request waits on a lock held elsewhere for more than about 100 ms.
 */
export const SQLITE_BUSY_GIVE_UP_MS = 80
/** Admin operations (a purge) are rare and asked for by an operator: they wait longer. */
export const SQLITE_ADMIN_GIVE_UP_MS = 10_000

export function isBusy(error: unknown): boolean {
  const code = (error as {code?: string})?.code
  return code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_SNAPSHOT' || code === 'SQLITE_LOCKED'
}

/** Run `work` until it is not busy, for `giveUpMs`, waiting with backoff off the event loop. */
export async function retryBusy<T>(work: () => T, giveUpMs = SQLITE_BUSY_GIVE_UP_MS): Promise<T> {
  const start = Date.now()
  for (let delay = 5; ; delay = Math.min(delay * 2, 40)) {
    try {
      return work()
    } catch (error) {
      if (!isBusy(error) || Date.now() - start > giveUpMs) throw error
    }

    // eslint-disable-next-line no-await-in-loop -- retries are sequential
    await sleep(delay + Math.random() * delay)
  }
}
