/**
 * A fleet's events as a collector really receives them: each batch of 100 holds about 50 instances,
 * and timestamps spread over 60 days arrive in no order (machines that were offline, a backfill, an
 * import). Built on fleet.ts: each of its batches (one instance's sessions of a day) moves as a whole
 * to a random day of the window, so sessions stay intact, and batches are dealt out two events at
 * a time from 50 sources at once.
 */
import type {TelemetryMessage} from '../../src/store/message.js'

import {fleet, random} from './fleet.js'

const DAY_MS = 86_400_000

export interface StreamOptions {
  /** Days the timestamps spread over (default 60), ending at the fleet's end (2026-11-01). */
  days?: number
  /** About how many events in all. */
  events: number
  instances?: number
  seed?: number
  /** Events per batch (default 100). */
  size?: number
  /** Instances a batch mixes, at most (default 50). */
  sources?: number
}

export function* realisticStream(options: StreamOptions): Generator<TelemetryMessage[]> {
  const days = options.days ?? 60
  const instances = options.instances ?? 4000
  const size = options.size ?? 100
  const width = options.sources ?? 50
  const rand = random((options.seed ?? 1) * 7919)
  const end = Date.parse('2026-11-01T00:00:00Z')
  // ~5 events per session, mean activity rate 1/4 (see fleet.ts).
  const intensity = options.events / (instances * days * 0.25 * 4.6)
  const source = fleet({days, end: '2026-11-01', instances, intensity, seed: options.seed ?? 1})
  const sources: TelemetryMessage[][] = []
  let exhausted = false
  const refill = () => {
    while (!exhausted && sources.length < width) {
      const next = source.next()
      if (next.done) {
        exhausted = true
        break
      }

      // The whole batch moves to a random day of the window, its times of day kept.
      const day = Math.floor(rand() * days)
      const first = Date.parse(next.value[0].timestamp)
      const shift = end - (days - day) * DAY_MS - (first - (first % DAY_MS))
      sources.push(next.value.map((m) => ({...m, timestamp: new Date(Date.parse(m.timestamp) + shift).toISOString()})))
    }
  }

  let sent = 0
  while (sent < options.events) {
    refill()
    if (sources.length === 0) return
    const batch: TelemetryMessage[] = []
    for (let i = 0; batch.length < size && sources.length > 0; i = (i + 1) % Math.max(1, sources.length)) {
      if (i >= sources.length) i = 0
      batch.push(...sources[i].splice(0, Math.min(2, size - batch.length)))
      if (sources[i].length === 0) {
        sources.splice(i, 1)
        refill()
      }
    }

    sent += batch.length
    yield batch
  }
}
