/**
 * What a batch of events (sign +1) or a deleted instance's events (sign -1) changes in the
 * aggregates, computed in JavaScript before the stores write it: counters and histograms are sums,
 * instance profiles and presence are sets, session tallies are counts.
 */
import type {Fact} from '../report/facts.js'

import {sessionOrder} from '../report/aggregate.js'
import {addTo, bucketOf, type Histogram} from '../report/histogram.js'
import {cellKeys, lengthKey, transitionKey} from './cells.js'
import {periodsOf} from './periods.js'

export interface CounterDelta {
  events: number
  failures: number
  histogram: Histogram
}

/** "period\tkey" */
export type PeriodKey = string

export function periodKey(period: number, key: string): PeriodKey {
  return `${period}\t${key}`
}

export function splitPeriodKey(pk: PeriodKey): [number, string] {
  const tab = pk.indexOf('\t')
  return [Number(pk.slice(0, tab)), pk.slice(tab + 1)]
}

export class RollupDelta {
  /** Events per period and product ('' = every product), for /report/active. */
  readonly activeEvents = new Map<PeriodKey, number>()
  readonly counters = new Map<PeriodKey, CounterDelta>()
  /** Instances present per period and product ('' = every product). Only for additions. */
  readonly presence = new Map<PeriodKey, Set<number>>()
  /** instance -> period -> cell keys. Only for additions. */
  readonly profiles = new Map<number, Map<number, Set<string>>>()
  readonly tallies = new Map<PeriodKey, number>()

  constructor(readonly sign: -1 | 1) {}

  addEvent(fact: Fact): void {
    const keys = cellKeys(fact)
    for (const period of periodsOf(fact.ts)) {
      for (const key of keys) {
        const pk = periodKey(period, key)
        let counter = this.counters.get(pk)
        if (!counter) this.counters.set(pk, (counter = {events: 0, failures: 0, histogram: new Map()}))
        counter.events += this.sign
        if (fact.outcome === 'failure') counter.failures += this.sign
        if (fact.duration !== null) addTo(counter.histogram, bucketOf(fact.duration), this.sign)
      }

      for (const product of ['', fact.product]) {
        const pk = periodKey(period, product)
        this.activeEvents.set(pk, (this.activeEvents.get(pk) ?? 0) + this.sign)
        if (this.sign === 1) {
          let set = this.presence.get(pk)
          if (!set) this.presence.set(pk, (set = new Set()))
          set.add(fact.instance)
        }
      }

      if (this.sign === 1) {
        let byPeriod = this.profiles.get(fact.instance)
        if (!byPeriod) this.profiles.set(fact.instance, (byPeriod = new Map()))
        let cells = byPeriod.get(period)
        if (!cells) byPeriod.set(period, (cells = new Set()))
        for (const key of keys) cells.add(key)
      }
    }
  }

  /**
   * A session's contribution: its length under its first command, and each command's next one
   * (or its end). `sign` lets the caller take an old version of the session away.
   */
  addSession(commands: Fact[], sign: -1 | 1): void {
    if (commands.length === 0) return
    const list = [...commands].sort(sessionOrder)
    const tally = (ts: number, key: string) => {
      for (const period of periodsOf(ts)) {
        const pk = periodKey(period, key)
        const n = (this.tallies.get(pk) ?? 0) + sign
        if (n === 0) this.tallies.delete(pk)
        else this.tallies.set(pk, n)
      }
    }

    tally(list[0].ts, lengthKey(list[0].product, list.length))
    for (const [i, fact] of list.entries()) tally(fact.ts, transitionKey(fact, list[i + 1]))
  }

  /** Every dictionary string the delta refers to. */
  strings(): Set<string> {
    const out = new Set<string>()
    for (const pk of this.counters.keys()) out.add(splitPeriodKey(pk)[1])
    for (const pk of this.tallies.keys()) out.add(splitPeriodKey(pk)[1])
    for (const pk of this.activeEvents.keys()) {
      const product = splitPeriodKey(pk)[1]
      if (product !== '') out.add(product)
    }

    return out
  }
}

/** Session ids of command events, with those events. */
export function commandSessions(facts: Iterable<Fact>): Map<string, Fact[]> {
  const sessions = new Map<string, Fact[]>()
  for (const fact of facts) {
    if (fact.session === null || fact.event !== 'command') continue
    let list = sessions.get(fact.session)
    if (!list) sessions.set(fact.session, (list = []))
    list.push(fact)
  }

  return sessions
}
