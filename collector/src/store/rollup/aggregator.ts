/**
 * The background aggregator's schedule: ingest stores raw events only and pokes it; shortly after
 * (at most DELAY_MS), it folds the new events into the aggregates a chunk at a time (each chunk one
 * transaction, run by the store), letting other work run between chunks, until it has caught up.
 * Ingest goes first: a background chunk waits while inserts run (at most MAX_DEFER_MS), so under
 * load chunks are large; only a backlog of full chunks is folded without waiting. A chunk rewrites
 * every aggregate row its events touch, a few thousand rows of the day whatever its size: folding
 * 1,000 events at a time cost three times as much per event as folding 10,000.
 */
import {setTimeout as sleep, setImmediate as yieldToEvents} from 'node:timers/promises'

/** Time from the first unaggregated event to the aggregator's start. */
export const DELAY_MS = 200
/** Events folded per transaction. */
export const CHUNK_EVENTS = 10_000
/** Ingest is running if an insert ended less than this long ago (requests arrive in bursts). */
export const QUIET_MS = 50
/** The longest a background chunk waits for ingest to pause: under steady load, folding goes on. */
export const MAX_DEFER_MS = 2000

export class Aggregator {
  private closed = false
  private running: Promise<void> | undefined
  private timer: NodeJS.Timeout | undefined
  /** catchUp() calls waiting: a background chunk deferred for ingest goes ahead at once. */
  private waiting = 0

  /**
   * `step` folds one chunk and returns the events it folded (0: caught up); `background` is false
   * when someone waits for it (catchUp). `ingesting` tells whether inserts are running now.
   */
  constructor(
    private readonly step: (background: boolean) => Promise<number>,
    private readonly ingesting: () => boolean = () => false,
  ) {}

  /** Fold every event stored so far, now (reports, deletions, tests). */
  async catchUp(): Promise<void> {
    this.cancel()
    this.waiting++
    try {
      while (this.running) {
        // eslint-disable-next-line no-await-in-loop -- wait for the run in progress, then run again
        await this.running.catch(() => {})
      }

      this.running = this.loop(false)
      await this.running
    } finally {
      this.running = undefined
      this.waiting--
      // Events stored after the report asked, which a background run it took over would have
      // folded: scheduled again (a run with nothing to fold ends at once).
      if (!this.closed) this.poke()
    }
  }

  /** Stop scheduling; wait for a run in progress. */
  async close(): Promise<void> {
    this.closed = true
    this.cancel()
    await this.running?.catch(() => {})
  }

  /** New events were stored: fold them soon. */
  poke(): void {
    if (this.closed || this.timer) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      if (this.running) {
        this.poke()
        return
      }

      this.running = this.loop(true)
        .catch(() => {
          // The store is busy or the database is down: try again later (reports catch up anyway).
          this.poke()
        })
        .finally(() => {
          this.running = undefined
        })
    }, DELAY_MS)
    this.timer.unref()
  }

  private cancel(): void {
    clearTimeout(this.timer)
    this.timer = undefined
  }

  /** Wait while ingest runs and nobody waits for the aggregates, at most MAX_DEFER_MS. */
  private async ingestPause(): Promise<void> {
    const start = Date.now()
    while (!this.closed && this.waiting === 0 && this.ingesting() && Date.now() - start < MAX_DEFER_MS) {
      // eslint-disable-next-line no-await-in-loop -- polling a flag, briefly
      await sleep(5)
    }
  }

  private async loop(background: boolean): Promise<void> {
    for (let backlog = false; ;) {
      // A full chunk left more behind: fold on (a backlog must not grow under steady ingest).
      // eslint-disable-next-line no-await-in-loop -- before a background chunk
      if (background && !backlog) await this.ingestPause()
      // A report waiting takes over: its catch-up stops at the events stored before it, where this
      // loop would chase the newest as long as ingest goes on.
      if (background && (this.closed || this.waiting > 0)) return
      // eslint-disable-next-line no-await-in-loop -- one chunk after another
      const folded = await this.step(background)
      if (folded === 0) return
      backlog = folded >= CHUNK_EVENTS
      // eslint-disable-next-line no-await-in-loop -- let requests run between chunks
      await yieldToEvents()
    }
  }
}
