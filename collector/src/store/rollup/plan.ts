/** The aggregate changes of a chunk of new events and of a deletion, for both stores. */
import type {Fact} from '../report/facts.js'

import {AggDelta, commandSessions} from './delta.js'
import {type IdOf} from './rows.js'

/** Thrown inside a transaction when a delta needs dictionary strings not stored yet: add them, retry. */
export class NeedStrings extends Error {
  constructor(readonly values: string[]) {
    super(`${values.length} dictionary strings to add first`)
  }
}

/** Session ids of the command events among `facts`. */
export function sessionIds(facts: Iterable<Fact>): string[] {
  return [...commandSessions(facts).keys()].sort()
}

/**
 * Events folded into the aggregates: their rows, and for each session they touch the session's
 * new shape minus its old one (`stored`: the session's aggregated command events, these included).
 */
/** What a delta needs of the store: dictionary ids, and the day through which periods are closed. */
export interface FoldContext {
  closedThrough: number
  id: IdOf
}

export function chunkDelta(
  chunk: readonly Fact[],
  stored: Map<string, Fact[]>,
  {closedThrough, id}: FoldContext,
): AggDelta {
  const delta = new AggDelta(1, closedThrough)
  const fresh = new Set<string>()
  for (const fact of chunk) {
    delta.addEvent(fact, id)
    fresh.add(fact.messageId)
  }

  for (const [, all] of stored) {
    delta.addSession(
      all.filter((f) => !fresh.has(f.messageId)),
      -1,
    )
    delta.addSession(all, 1)
  }

  return delta
}

/** An instance's events taken away (`stored`: the command events of its sessions, from every instance). */
export function deletionDelta(
  instance: number,
  facts: readonly Fact[],
  stored: Map<string, Fact[]>,
  {closedThrough, id}: FoldContext,
): AggDelta {
  const delta = new AggDelta(-1, closedThrough)
  for (const fact of facts) delta.addEvent(fact, id)
  for (const [, all] of stored) {
    delta.addSession(all, -1)
    delta.addSession(
      all.filter((f) => f.instance !== instance),
      1,
    )
  }

  return delta
}
