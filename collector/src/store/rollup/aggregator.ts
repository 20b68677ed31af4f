/**
 * The background aggregator's schedule: ingest stores raw events only and pokes it; shortly after
 * (at most DELAY_MS), it folds the new events into the aggregates a chunk at a time (each chunk one
 * transaction, run by the store), letting other work run between chunks, until it has caught up.
 */
import {setImmediate as yieldToEvents} from 'node:timers/promises'

/** Time from the first unaggregated event to the aggregator's start. */
export const DELAY_MS = 200
/** Events folded per transaction. */
export const CHUNK_EVENTS = 10_000

export class Aggregator {
  private closed = false
  private running: Promise<void> | undefined
  private timer: NodeJS.Timeout | undefined

  /**
   * `step` folds one chunk and returns the events it folded (0: caught up); `background` is false
   * when someone waits for it (catchUp).
   */
  constructor(private readonly step: (background: boolean) => Promise<number>) {}

  /** Fold every event stored so far, now (reports, deletions, tests). */
  async catchUp(): Promise<void> {
    this.cancel()
    while (this.running) {
      // eslint-disable-next-line no-await-in-loop -- wait for the run in progress, then run again
      await this.running.catch(() => {})
    }

    this.running = this.loop(false)
    try {
      await this.running
    } finally {
      this.running = undefined
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

  private async loop(background: boolean): Promise<void> {
    for (;;) {
      if (background && this.closed) return
      // eslint-disable-next-line no-await-in-loop -- one chunk after another
      if ((await this.step(background)) === 0) return
      // eslint-disable-next-line no-await-in-loop -- let requests run between chunks
      await yieldToEvents()
    }
  }
}
