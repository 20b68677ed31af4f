/**
 * SQLite's write lock as the two connections of one store see each other (the server's and its
 * aggregator thread's, in one process): each says when it holds the lock, in memory both threads
 * share, so that a busy write waits for the other's transaction to end (it is this process's own,
 * and bounded) instead of giving up as it does against a lock held by another process.
 */
export type LockSide = 0 | 1

export class SqliteSharedLock {
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

  /** This connection took (true) or released (false) the write lock. */
  set(held: boolean): void {
    Atomics.store(this.slots, this.side, held ? 1 : 0)
  }
}
