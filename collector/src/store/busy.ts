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
/**
 * Admin operations (rebuild) are rare and asked for by an operator: they wait longer. So does a
 * write that waits for the other connection of this process (the aggregator thread's, or the
 * server's), whose transactions are bounded.
 */
export const SQLITE_ADMIN_GIVE_UP_MS = 10_000

export function isBusy(error: unknown): boolean {
  const code = (error as {code?: string})?.code
  return code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_SNAPSHOT' || code === 'SQLITE_LOCKED'
}

/** The write lock as held by this process's other connection to the same file (see sqlite-shared-lock.ts). */
export interface PeerLock {
  peerHolds(): boolean
  /** Resolves when the other connection releases the lock, or after `timeoutMs`. */
  peerReleased(timeoutMs: number): Promise<void>
}

/**
 * Run `work` until it is not busy, for `giveUpMs`. While this process's other connection (`peer`)
 * holds the lock, wait for it here, up to SQLITE_ADMIN_GIVE_UP_MS: its transactions end, and
 * SQLite's own busy handler would wait with the event loop blocked.
 */
export async function retryBusy<T>(work: () => T, giveUpMs = SQLITE_BUSY_GIVE_UP_MS, peer?: PeerLock): Promise<T> {
  const start = Date.now()
  for (let delay = 5; ; delay = Math.min(delay * 2, 40)) {
    if (peer?.peerHolds()) {
      // eslint-disable-next-line no-await-in-loop -- waits are sequential
      await peer.peerReleased(Math.max(0, SQLITE_ADMIN_GIVE_UP_MS - (Date.now() - start)))
    }

    try {
      return work()
    } catch (error) {
      const waited = Date.now() - start
      const ownLock = peer?.peerHolds() && waited < SQLITE_ADMIN_GIVE_UP_MS
      if (!isBusy(error) || (waited > giveUpMs && !ownLock)) throw error
    }

    // eslint-disable-next-line no-await-in-loop -- retries are sequential
    await sleep(delay + Math.random() * delay)
  }
}
