/**
 * SQLite's write lock as the two connections of one store see each other (the server's and its
 * aggregator thread's, in one process): each says when it holds the lock, in memory both threads
 * share, so that a busy write waits for the other's transaction to end (it is this process's own,
 * and bounded) instead of giving up as it does against a lock held by another process.
 */
import type {PeerLock} from './busy.js'

export type LockSide = 0 | 1

export class SqliteSharedLock implements PeerLock {
  private readonly slots: Int32Array

  /** `buffer`: two Int32 slots, one per side (new SharedArrayBuffer(8)). */
  constructor(
    buffer: SharedArrayBuffer,
    private readonly side: LockSide,
  ) {
    this.slots = new Int32Array(buffer, 0, 2)
  }

  /** The other connection holds the write lock. */
  peerHolds(): boolean {
    return Atomics.load(this.slots, 1 - this.side) === 1
  }

  /** Resolves when the other connection releases the write lock (at once if it does not hold it), or after `timeoutMs`. */
  async peerReleased(timeoutMs: number): Promise<void> {
    const wait = Atomics.waitAsync(this.slots, 1 - this.side, 1, timeoutMs)
    if (!wait.async) return
    // A pending Atomics.waitAsync does not keep Node's event loop alive: with nothing else to do (a
    // script inserting while the aggregator thread folds), the process would exit mid-insert (code 13).
    // The timer outlasts the wait's own timeout: ending with it, it let the process exit just before
    // the wait settled, one run in two.
    const alive = setTimeout(() => {}, timeoutMs + 1000)
    try {
      await wait.value
    } finally {
      clearTimeout(alive)
    }
  }

  /** This connection took (true) or released (false) the write lock. */
  set(held: boolean): void {
    Atomics.store(this.slots, this.side, held ? 1 : 0)
    if (!held) Atomics.notify(this.slots, this.side)
  }
}
