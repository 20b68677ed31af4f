/** The aggregate changes of an ingest, a deletion and a rebuild, for both stores. */
import type {Fact} from '../report/facts.js'

import {sessionOrder} from '../report/aggregate.js'
import {commandSessions, RollupDelta} from './delta.js'

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
 * Events just stored: their counters, profiles and presence, and for each session they touch the
 * session's new shape minus its old one (`stored`: the session's command events, new ones included).
 */
export function insertDelta(accepted: readonly Fact[], stored: Map<string, Fact[]>): RollupDelta {
  const delta = new RollupDelta(1)
  const fresh = new Set<string>()
  for (const fact of accepted) {
    delta.addEvent(fact)
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
export function deletionDelta(instance: number, facts: readonly Fact[], stored: Map<string, Fact[]>): RollupDelta {
  const delta = new RollupDelta(-1)
  for (const fact of facts) delta.addEvent(fact)
  for (const [, all] of stored) {
    delta.addSession(all, -1)
    delta.addSession(
      all.filter((f) => f.instance !== instance),
      1,
    )
  }

  return delta
}

/**
 * Rebuild of a group of instances: their events, and the sessions whose first command belongs to
 * one of them (`stored`: whole sessions), so that a session is counted once across groups.
 */
export function rebuildDelta(facts: readonly Fact[], stored: Map<string, Fact[]>): RollupDelta {
  const delta = new RollupDelta(1)
  const instances = new Set<number>()
  for (const fact of facts) {
    delta.addEvent(fact)
    instances.add(fact.instance)
  }

  for (const [, all] of stored) {
    const first = [...all].sort(sessionOrder)[0]
    if (first && instances.has(first.instance)) delta.addSession(all, 1)
  }

  return delta
}
