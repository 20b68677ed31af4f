/**
 * The aggregates against the raw events, run on every store: each report equals what the shared
 * report arithmetic computes from the events themselves; deleting an instance gives exactly the
 * reports of a store that never had it; rebuild gives the same reports again.
 */
import assert from 'node:assert/strict'
import {randomUUID} from 'node:crypto'
import {describe, it} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'

import type {OpenStoreOptions} from '../../src/store/open.js'
import type {Store} from '../../src/store/store.js'

import {prepareMessage, type TelemetryMessage} from '../../src/store/message.js'
import {
  activeFromFacts,
  propertiesFromFacts,
  reportFromFacts,
  sessionsFromFacts,
} from '../../src/store/report/aggregate.js'
import {type Fact, factOf, matches} from '../../src/store/report/facts.js'
import {dayOf} from '../../src/store/report/time.js'
import {REPORT_DIMENSIONS, type ReportDimension, type ReportFilter} from '../../src/store/report/types.js'
import {OTHER, PROPERTY_CAP} from '../../src/store/rollup/cap.js'
import {capFacts} from '../support/cap-reference.js'
import {fleet} from '../support/fleet.js'
import {batch} from '../support/messages.js'

const DIMENSIONS: ReportDimension[] = [...REPORT_DIMENSIONS, 'property.cookbook', 'property.version', 'property.none']
const FILTERS: ReportFilter[] = [
  {},
  {product: 'kitchen'},
  {product: 'kitchen', version: '3.7.1'},
  {command: 'converge', event: 'command'},
  {outcome: 'failure'},
  {from: '2026-09-29', to: '2026-10-13'},
  {from: '2026-10-01', outcome: 'not_found', to: '2026-10-31'},
  {product: 'no-such-product'},
  // Two levels: from the raw events, capped as the aggregates are.
  {event: 'cookbook_used', product: 'kitchen'},
]
const PERIODS = ['day', 'week', 'month'] as const
// The last of each: a range of centuries (one SQL parameter a day made SQLite refuse it).
const ACTIVE_FILTERS = [
  {},
  {product: 'chef'},
  {from: '2026-09-15', to: '2026-10-02'},
  {from: '2000-01-01', to: '9999-12-31'},
]
const SESSIONS_FILTERS = [
  {},
  {product: 'habitat'},
  {from: '2026-10-05', to: '2026-10-20'},
  {from: '2000-01-01', to: '9999-12-31'},
]
const PROPERTY_QUERIES = [{}, {event: 'cookbook_used'}, {event: 'command'}, {from: '2026-10-01', to: '2026-10-10'}]

/**
 * Filters that name more than one level (product and version together are one level): answered
 * from the raw events, so they lose what a purge of raw events removes.
 */
function fromRawEvents(filter: ReportFilter): boolean {
  const named = (['product', 'version', 'event', 'command', 'outcome'] as const).filter((f) => filter[f] !== undefined)
  if (named.length === 2 && named[0] === 'product' && named[1] === 'version') return false
  return named.length > 1 || named[0] === 'version'
}

/** Every report the API offers, as [name, answer] pairs. */
export async function everyReport(store: Store): Promise<[string, unknown][]> {
  const out: [string, unknown][] = []
  for (const filter of FILTERS) {
    for (const by of DIMENSIONS) {
      out.push([`report ${by} ${JSON.stringify(filter)}`, await store.report({...filter, by, limit: 1000})])
    }
  }

  for (const period of PERIODS) {
    for (const filter of ACTIVE_FILTERS) {
      out.push([`active ${period} ${JSON.stringify(filter)}`, await store.active({...filter, period})])
    }
  }

  for (const filter of SESSIONS_FILTERS) {
    out.push([`sessions ${JSON.stringify(filter)}`, await store.sessions({...filter, limit: 1000})])
  }

  for (const query of PROPERTY_QUERIES) {
    out.push([`properties ${JSON.stringify(query)}`, await store.properties(query)])
  }

  return out
}

/** The reports computed from the events themselves, with properties capped at `cap` values a day. */
export function expectedReports(all: Fact[], cap = PROPERTY_CAP): [string, unknown][] {
  const facts = capFacts(all, cap)
  const out: [string, unknown][] = []
  for (const filter of FILTERS) {
    const kept = facts.filter((f) => matches(f, filter))
    for (const by of DIMENSIONS) {
      out.push([`report ${by} ${JSON.stringify(filter)}`, reportFromFacts(kept, {...filter, by, limit: 1000})])
    }
  }

  for (const period of PERIODS) {
    for (const filter of ACTIVE_FILTERS) {
      out.push([`active ${period} ${JSON.stringify(filter)}`, activeFromFacts(facts, {...filter, period})])
    }
  }

  for (const filter of SESSIONS_FILTERS) {
    out.push([`sessions ${JSON.stringify(filter)}`, sessionsFromFacts(facts, {...filter, limit: 1000})])
  }

  for (const query of PROPERTY_QUERIES) {
    out.push([`properties ${JSON.stringify(query)}`, propertiesFromFacts(facts, query)])
  }

  return out
}

export function assertSame(actual: [string, unknown][], expected: [string, unknown][]): void {
  assert.equal(actual.length, expected.length)
  for (const [i, [name, value]] of actual.entries()) assert.deepEqual(value, expected[i][1], name)
}

async function ingest(store: Store, batches: TelemetryMessage[][]): Promise<void> {
  for (const b of batches) await store.insert(b.map((m) => prepareMessage(m)))
}

/** A cap small enough that the fleet's properties (a cookbook, a version of five values) exceed it every day. */
const CAP = 3

/** One store reopened: `open` opens it, `downgrade` takes it back to before the property cap (schema). */
export interface UpgradeCase {
  downgrade(): Promise<void>
  open(options: OpenStoreOptions): Promise<Store>
}

export function rollupSuite(
  name: string,
  open: (options: OpenStoreOptions) => Promise<Store>,
  upgrade: UpgradeCase,
): void {
  const fresh = async () => open({propertyCap: CAP})
  describe(`${name} aggregates`, () => {
    // Now and then a cookbook sent as the text "(other)": it counts within OTHER.
    let custom = 0
    const batches = [...fleet({days: 45, instances: 40, seed: 11})].map((b) =>
      b.map((m) => {
        const {properties} = m.payload
        if (typeof properties?.cookbook !== 'string' || ++custom % 25 !== 0) return m
        return {...m, payload: {...m.payload, properties: {...properties, cookbook: OTHER}}}
      }),
    )
    const instances = [...new Set(batches.flat().map((m) => m.instance_id))]
    const facts = batches.flat().map((m) => {
      const prepared = prepareMessage(m)
      return factOf(m, instances.indexOf(m.instance_id), prepared.messageId, Date.parse(m.timestamp))
    })

    /** Deletes an instance: every report then equals the raw events' without it. */
    async function deleteExactly(store: Store, instanceId: string): Promise<void> {
      await store.deleteInstance(instanceId)
      const number = instances.indexOf(instanceId)
      assertSame(
        await everyReport(store),
        expectedReports(
          facts.filter((f) => f.instance !== number),
          CAP,
        ),
      )
    }

    it('answer every report as the raw events do, whatever the arrival order and duplicates', async () => {
      const store = await fresh()
      try {
        // Newest first, sessions split in two batches, every fifth batch sent twice.
        for (const [i, b] of [...batches].reverse().entries()) {
          const half = Math.ceil(b.length / 2)
          await ingest(store, [b.slice(half), b.slice(0, half)])
          if (i % 5 === 0) assert.equal((await store.insert(b.map((m) => prepareMessage(m)))).accepted, 0)
        }

        assert.equal(await store.countEvents(), facts.length)
        assertSame(await everyReport(store), expectedReports(facts, CAP))
        // The cap shows: a day lists at most CAP cookbooks and OTHER, a month more (its days' tops).
        const day = {from: '2026-10-07', to: '2026-10-07'}
        const oneDay = await store.report({...day, by: 'property.cookbook', limit: 1000})
        assert.equal(oneDay.length, CAP + 1)
        assert.ok(oneDay.some((r) => r.key === OTHER))
        const sent = facts.filter((f) => f.properties?.cookbook !== undefined && dayOf(f.ts) === day.from)
        assert.equal(
          oneDay.reduce((n, r) => n + r.events, 0),
          sent.length,
        )
        const month = await store.report({by: 'property.cookbook', from: '2026-10-01', limit: 1000, to: '2026-10-31'})
        assert.ok(month.length > CAP + 1)
      } finally {
        await store.close()
      }
    })

    it('close weeks and months from their days as time goes on, and add late events to them', async () => {
      // Folded a tenth of the fleet at a time, in time order (weeks and months close on the way),
      // every seventh batch held back and sent at the end (late events of closed periods).
      const late = batches.filter((_, i) => i % 7 === 3)
      const onTime = batches.filter((_, i) => i % 7 !== 3)
      const store = await fresh()
      try {
        const step = Math.ceil(onTime.length / 10)
        for (let i = 0; i < onTime.length; i += step) {
          await ingest(store, onTime.slice(i, i + step))
          await store.aggregate()
        }

        await ingest(store, late)
        assertSame(await everyReport(store), expectedReports(facts, CAP))
        // A deletion takes the instance out of closed and open periods alike.
        await deleteExactly(store, batches[0][0].instance_id)
      } finally {
        await store.close()
      }
    })

    it('close the weeks and months since an event dated years back: those with events exactly, in one chunk', async () => {
      // Folded alone first, the old event leaves everything after it to close when the fleet comes:
      // 25 years of weeks and months, of which only the old event's own week and month have rows.
      const old = batch(1, {instance_id: randomUUID(), timestamp: '2001-03-15T12:00:00.000Z'})[0]
      const oldFact = factOf(old, instances.length, prepareMessage(old).messageId, Date.parse(old.timestamp))
      const store = await fresh()
      try {
        await ingest(store, [[old]])
        await store.aggregate()
        await ingest(store, batches)
        assertSame(await everyReport(store), expectedReports([oldFact, ...facts], CAP))
        const months = await store.report({by: 'month', limit: 1000})
        assert.deepEqual(
          months.filter((r) => (r.key ?? '') < '2026').map((r) => [r.key, r.events]),
          [['2001-03', 1]],
        )
        const weeks = await store.report({by: 'week', limit: 1000, to: '2025-12-31'})
        assert.deepEqual(
          weeks.map((r) => [r.key, r.events]),
          [['2001-W11', 1]],
        )
      } finally {
        await store.close()
      }
    })

    it('after deleting an instance, equal a store that never had it; rebuild changes nothing', async () => {
      // The busiest instance: many sessions, days and cells.
      const counts = new Map<string, number>()
      for (const m of batches.flat()) counts.set(m.instance_id, (counts.get(m.instance_id) ?? 0) + 1)
      const [gone] = [...counts].sort((a, b) => b[1] - a[1])[0]
      const withIt = await fresh()
      const without = await fresh()
      try {
        await ingest(withIt, batches)
        await ingest(
          without,
          batches.map((b) => b.filter((m) => m.instance_id !== gone)).filter((b) => b.length > 0),
        )
        const record = await withIt.deleteInstance(gone)
        assert.equal(record.events_deleted, counts.get(gone))
        const expected = await everyReport(without)
        assertSame(await everyReport(withIt), expected)
        assert.deepEqual(await withIt.rebuild(), {events: facts.length - counts.get(gone)!, purged: 0, rebuilt: true})
        assertSame(await everyReport(withIt), expected)
      } finally {
        await withIt.close()
        await without.close()
      }
    })

    it('are capped when a store aggregated before the property cap opens, and again when the cap changes', async () => {
      // Aggregated with no effective cap, then taken back to the schema before it: uncapped rows
      // (a sent "(other)" among them), no spill.
      const cookbooks = {by: 'property.cookbook', limit: 1000} as const
      let uncapped: number
      let store = await upgrade.open({propertyCap: 1_000_000})
      try {
        await ingest(store, batches)
        await store.aggregate()
        uncapped = (await store.report(cookbooks)).length
      } finally {
        await store.close()
      }

      await upgrade.downgrade()
      const gone = batches[3][0].instance_id
      const left = facts.filter((f) => f.instance !== instances.indexOf(gone))
      const reopen = async (options: OpenStoreOptions) => {
        await store.close()
        store = await upgrade.open(options)
      }

      store = await upgrade.open({propertyCap: CAP})
      try {
        assertSame(await everyReport(store), expectedReports(facts, CAP))
        assert.ok((await store.report(cookbooks)).length < uncapped)
        await deleteExactly(store, gone)
        for (const cap of [CAP + 2, 1]) {
          await reopen({propertyCap: cap})
          assertSame(await everyReport(store), expectedReports(left, cap))
        }

        // Opened without a cap, the store keeps its own (1), for the events it folds next too.
        await reopen({})
        const more = batches[5].filter((m) => m.instance_id !== gone).map((m) => ({...m, message_id: randomUUID()}))
        await ingest(store, [more])
        const added = more.map((m) =>
          factOf(m, instances.indexOf(m.instance_id), prepareMessage(m).messageId, Date.parse(m.timestamp)),
        )
        assertSame(await everyReport(store), expectedReports([...left, ...added], 1))
      } finally {
        await store.close()
      }
    })

    it('answer promptly under steady ingest, counting every event stored before the report', async () => {
      const store = await fresh()
      // Ingest goes on until the report is back (30 s at most).
      const done = new AbortController()
      const cap = setTimeout(() => done.abort(), 30_000)
      let stored = 0
      const writers = Array.from({length: 3}, async () => {
        while (!done.signal.aborted) {
          const r = await store.insert(batch(50).map((m) => prepareMessage(m)))
          stored += r.accepted
        }
      })
      try {
        // eslint-disable-next-line no-unmodified-loop-condition -- the writers add to it meanwhile
        while (stored < 2000 && !done.signal.aborted) await sleep(20)
        assert.ok(stored >= 2000, `only ${stored} events stored in 30 s`)
        const before = stored
        const asked = performance.now()
        const [total] = await store.report({by: 'event', limit: 10})
        const waited = performance.now() - asked
        // Chasing the events stored meanwhile, a report ended only once ingest stopped.
        assert.ok(waited < 5000, `the report took ${waited.toFixed(0)} ms under steady ingest`)
        assert.ok(total.events >= before, `${total.events} events reported, ${before} stored before it`)
      } finally {
        done.abort()
        clearTimeout(cap)
        await Promise.allSettled(writers)
        await store.close()
      }
    })

    it('are rebuilt after a purge only when told to discard what was purged, then from the events left', async () => {
      const store = await fresh()
      const left = await fresh()
      try {
        await ingest(store, batches.slice(0, 30))
        const {events} = await store.purge(new Date(Date.now() + 60_000))
        await ingest(store, batches.slice(30, 50))
        await ingest(left, batches.slice(30, 50))
        const before = await everyReport(store)
        assert.deepEqual(await store.rebuild(), {events: 0, purged: events, rebuilt: false})
        assertSame(await everyReport(store), before)
        const kept = batches.slice(30, 50).flat().length
        assert.deepEqual(await store.rebuild({discardPurged: true}), {events: kept, purged: events, rebuilt: true})
        assertSame(await everyReport(store), await everyReport(left))
      } finally {
        await store.close()
        await left.close()
      }
    })

    it('are rebuilt without asking after purge --rollups removed aggregates whose raw events are kept', async () => {
      const store = await fresh()
      try {
        await ingest(store, batches)
        const expected = await everyReport(store)
        // Every raw event was received now: the cutoff, mid-fleet by their own time, removes aggregates only.
        const middle = [...facts].sort((a, b) => a.ts - b.ts)[Math.floor(facts.length / 2)].ts
        const purged = await store.purge(new Date(middle), {rollups: true})
        assert.deepEqual([purged.events > 0, purged.rollups > 0], [false, true])
        assert.deepEqual(await store.rebuild(), {events: facts.length, purged: 0, rebuilt: true})
        assertSame(await everyReport(store), expected)
      } finally {
        await store.close()
      }
    })

    it('keep the aggregates when raw events are purged, unless asked', async () => {
      const store = await fresh()
      try {
        await ingest(store, batches.slice(0, 50))
        const before = await everyReport(store)
        const purged = await store.purge(new Date(Date.now() + 60_000))
        assert.ok(purged.events > 0)
        assert.equal(await store.countEvents(), 0)
        const raw = new Set(
          FILTERS.filter((f) => fromRawEvents(f)).flatMap((f) =>
            DIMENSIONS.map((by) => `report ${by} ${JSON.stringify(f)}`),
          ),
        )
        assert.ok(raw.size > 0)
        const after = await everyReport(store)
        // Reports from the aggregates are unchanged; those from raw events have nothing left to count.
        assertSame(
          after.filter(([name]) => !raw.has(name)),
          before.filter(([name]) => !raw.has(name)),
        )
        for (const [name, rows] of after) if (raw.has(name)) assert.deepEqual(rows, [], name)
        // The aggregates are the purged events' only record: a rebuild would lose them, so it is refused.
        assert.deepEqual(await store.rebuild(), {events: 0, purged: purged.events, rebuilt: false})
        assertSame(await everyReport(store), after)
        const all = await store.purge(new Date(Date.now() + 60_000), {rollups: true})
        assert.ok(all.rollups > 0)
        assert.deepEqual(await store.rebuild(), {events: 0, purged: 0, rebuilt: true})
        assert.deepEqual(await store.report({by: 'product', limit: 10}), [])
        assert.deepEqual(await store.active({period: 'day'}), [])
        assert.equal((await store.sessions({limit: 10})).sessions, 0)
      } finally {
        await store.close()
      }
    })
  })
}
