/**
 * The analytics engine against a reference computed in plain TypeScript from the events as sent:
 * one suite, run on each store of record (SQLite, PostgreSQL). A random fleet arrives out of order
 * (batches mixing instances, timestamps over weeks), some instances are deleted, and every report,
 * with random combinations of filters, must equal the reference's.
 */
import assert from 'node:assert/strict'
import {randomUUID} from 'node:crypto'
import {existsSync, readFileSync} from 'node:fs'
import {after, before, describe, it} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'

import type {Store} from '../../src/store/store.js'

import {type Fact, factOf} from '../../src/analytics/facts.js'
import {
  OTHER,
  REPORT_DIMENSIONS,
  type ReportFilter,
  type ReportQuery,
  SCALAR_DIMENSIONS,
} from '../../src/analytics/types.js'
import {prepareMessage, type TelemetryMessage} from '../../src/store/message.js'
import {openAnalytics, type TestAnalytics} from '../support/analytics.js'
import {fleet, random} from '../support/fleet.js'
import {batch, commandMessage} from '../support/messages.js'
import {
  activeFromFacts,
  propertiesFromFacts,
  reportFromFacts,
  retentionFromFacts,
  sessionsFromFacts,
} from '../support/reference.js'

/** The events a store holds, as the reference sees them: instances numbered by their id. */
class Sent {
  private readonly deleted = new Set<string>()
  private readonly messages = new Map<string, TelemetryMessage>()
  private readonly numbers = new Map<string, number>()

  add(messages: TelemetryMessage[]): void {
    for (const m of messages) {
      if (this.deleted.has(m.instance_id)) continue
      if (!this.numbers.has(m.instance_id)) this.numbers.set(m.instance_id, this.numbers.size + 1)
      this.messages.set(m.message_id!, m)
    }
  }

  delete(instance: string): void {
    this.deleted.add(instance)
    for (const [id, m] of this.messages) if (m.instance_id === instance) this.messages.delete(id)
  }

  facts(): Fact[] {
    return [...this.messages.values()].map((m) => {
      const {message, messageId} = prepareMessage(m)
      return factOf(message, this.numbers.get(m.instance_id)!, messageId, Date.parse(m.timestamp))
    })
  }

  instances(): string[] {
    return [...new Set([...this.messages.values()].map((m) => m.instance_id))].sort()
  }
}

/** Equal, with a message naming the question (deepEqual's diff names only the values). */
function same<T>(actual: T, expected: T, question: unknown): void {
  assert.deepEqual(actual, expected, JSON.stringify(question))
}

/** Values of a dimension that the data has, to filter by. */
function valuesOf(facts: Fact[], dimension: 'version' | (typeof SCALAR_DIMENSIONS)[number]): string[] {
  return [...new Set(facts.map((f) => f[dimension]).filter((v): v is string => v !== null))]
}

const total = (rows: {events: number}[]) => rows.reduce((n, r) => n + r.events, 0)

export function analyticsSuite(name: string, makeStore: () => Promise<Store>): void {
  describe(`analytics on ${name}`, () => {
    let store: Store
    let analytics: TestAnalytics
    const sent = new Sent()
    const rand = random(42)

    before(async () => {
      store = await makeStore()
      analytics = await openAnalytics(store)
      // 25 days of a 60-instance fleet, delivered out of order: batches shuffled and merged in
      // threes, so one batch holds several instances and weeks-apart timestamps.
      const batches = [...fleet({days: 25, instances: 60, intensity: 2, seed: 9})]
      for (let i = batches.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1))
        ;[batches[i], batches[j]] = [batches[j], batches[i]]
      }

      for (let i = 0; i < batches.length; i += 3) {
        const merged = batches.slice(i, i + 3).flat()
        for (let k = 0; k < merged.length; k += 250) {
          const chunk = merged.slice(k, k + 250)
          await store.insert(chunk.map((m) => prepareMessage(m)))
          sent.add(chunk)
        }

        // Reports while ingest goes on: the engine catches up in steps.
        if (i % 60 === 0) await analytics.report({by: 'product', limit: 5})
      }

      // Three instances ask for deletion; a late event of one of them is suppressed.
      const deleted = sent.instances().slice(0, 3)
      for (const instance of deleted) {
        await store.deleteInstance(instance)
        sent.delete(instance)
      }

      const late = commandMessage({instance_id: deleted[0]})
      assert.equal((await store.insert([prepareMessage(late)])).suppressed, 1)
    })

    after(async () => {
      await analytics?.dispose()
      await store?.close()
    })

    const pick = <T>(list: T[]) => list[Math.floor(rand() * list.length)]
    const randomFilter = (facts: Fact[]): ReportFilter => {
      const filter: ReportFilter = {}
      const count = 1 + Math.floor(rand() * 3)
      const choices = [...SCALAR_DIMENSIONS, 'version', 'flag', 'dates', 'cookbook'] as const
      for (let i = 0; i < count; i++) {
        const choice = choices[Math.floor(rand() * choices.length)]
        switch (choice) {
          case 'ci': {
            filter.ci = pick(['none', 'any', 'GitHub Actions', 'Jenkins'])

            break
          }

          case 'cookbook': {
            filter.properties = {cookbook: pick(['cookbook-0', 'cookbook-1', 'cookbook-2'])}

            break
          }

          case 'dates': {
            const days = [...new Set(facts.map((f) => new Date(f.ts).toISOString().slice(0, 10)))].sort()
            // Day strings sort as dates.
            ;[filter.from, filter.to] = [pick(days), pick(days)].sort()

            break
          }

          case 'flag': {
            filter.flag = pick(['force', 'json', 'verbose'])

            break
          }

          default: {
            const values = valuesOf(facts, choice)
            if (values.length > 0) filter[choice] = pick(values)
          }
        }
      }

      return filter
    }

    it('answers every report by every dimension as the reference does', async () => {
      const facts = sent.facts()
      assert.ok(facts.length > 2000, `${facts.length} events`)
      for (const by of [...REPORT_DIMENSIONS, 'property.cookbook', 'property.version'] as ReportQuery['by'][]) {
        const query: ReportQuery = {by, limit: 1000}
        same(await analytics.report(query), reportFromFacts(facts, query), query)
      }
    })

    it('answers 60 random combinations of 1 to 3 filters as the reference does, on every route', async () => {
      const facts = sent.facts()
      for (let i = 0; i < 60; i++) {
        const filter = randomFilter(facts)
        const by = [...REPORT_DIMENSIONS, 'property.cookbook'][Math.floor(rand() * 17)] as ReportQuery['by']
        const query = {by, limit: 50, ...filter}
        same(await analytics.report(query), reportFromFacts(facts, query), query)
        const period = (['day', 'week', 'month'] as const)[i % 3]
        same(await analytics.active({period, ...filter}), activeFromFacts(facts, {period, ...filter}), {filter, period})
        if (i % 3 === 0) {
          same(
            await analytics.sessions({limit: 20, ...filter}),
            sessionsFromFacts(facts, {limit: 20, ...filter}),
            filter,
          )
          same(
            await analytics.properties({limit: 50, ...filter}),
            propertiesFromFacts(facts, {limit: 50, ...filter}),
            filter,
          )
          const retention = {period: (['week', 'month'] as const)[i % 2], ...filter}
          same(await analytics.retention(retention), retentionFromFacts(facts, retention), retention)
        }
      }
    })

    it('tells people, CI runs and coding agents apart', async () => {
      const facts = sent.facts()
      const people = await analytics.report({by: 'product', ci: 'none', limit: 50})
      const ci = await analytics.report({by: 'product', ci: 'any', limit: 50})
      const all = await analytics.report({by: 'product', limit: 50})
      assert.equal(total(people) + total(ci), total(all))
      assert.ok(total(people) > 0 && total(ci) > 0, 'both people and CI in the fleet')
      const agents = await analytics.report({by: 'agent', event: 'command', limit: 50})
      same(agents, reportFromFacts(facts, {by: 'agent', event: 'command', limit: 50}), 'by agent')
      assert.deepEqual(agents.map((r) => r.key).sort(), ['claude-code', 'codex', 'cursor', null].sort())
    })

    it('folds rows of fewer than --min-instances instances into "(other)", as the reference does', async () => {
      const strict = await openAnalytics(store, {minInstances: 3})
      try {
        const facts = sent.facts()
        for (const by of ['property.cookbook', 'command', 'suggestion', 'version'] as const) {
          const query: ReportQuery = {by, limit: 1000}
          const rows = await strict.report(query)
          same(rows, reportFromFacts(facts, query, 3), query)
          assert.ok(
            rows.every((r) => r.key === OTHER || r.instances >= 3),
            by,
          )
        }

        assert.ok(
          (await strict.report({by: 'property.cookbook', limit: 1000})).some((r) => r.key === OTHER),
          'some cookbooks folded',
        )
      } finally {
        await strict.dispose()
      }
    })

    it('excludes a deleted instance at once, and keeps no byte of it in its file after compaction', async () => {
      const quick = await openAnalytics(store, {compactAfterSeconds: 0})
      try {
        const canary = `CANARY-${randomUUID()}`
        const instance = randomUUID()
        await store.insert(
          [
            ...batch(5, {instance_id: instance, payload: {event: 'cookbook_used', properties: {cookbook: canary}}}),
            ...batch(3, {instance_id: instance}),
          ].map((m) => prepareMessage(m)),
        )
        const before = await quick.report({by: 'property.cookbook', limit: 1000, properties: {cookbook: canary}})
        assert.deepEqual(
          before.map((r) => [r.key, r.events]),
          [[canary, 5]],
        )
        const file = quick.path
        const holding = () => [file, `${file}.wal`].filter((f) => existsSync(f) && readFileSync(f).includes(canary))
        assert.notDeepEqual(holding(), [], 'the canary is in the engine files before the deletion')
        await store.deleteInstance(instance)
        assert.deepEqual(await quick.report({by: 'property.cookbook', limit: 1000, properties: {cookbook: canary}}), [])
        // Compaction starts at once (compactAfterSeconds 0): wait for it, bounded.
        for (let i = 0; i < 100 && quick.compactions() === 0; i++) await sleep(100)
        assert.ok(quick.compactions() > 0, 'compacted')
        assert.deepEqual(holding(), [])

        same(
          await quick.report({by: 'product', limit: 50}),
          reportFromFacts(sent.facts(), {by: 'product', limit: 50}),
          'after',
        )
      } finally {
        await quick.dispose()
      }
    })

    it('a second engine on the same store, and a rebuilt one, answer the same', async () => {
      const second = await openAnalytics(store)
      try {
        const facts = sent.facts()
        for (const by of ['command', 'os', 'property.cookbook', 'week'] as const) {
          const query = {by, limit: 100}
          same(await second.report(query), await analytics.report(query), query)
        }

        assert.equal((await second.rebuild()).events, facts.length)
        same(
          await second.report({by: 'command', limit: 100}),
          reportFromFacts(facts, {by: 'command', limit: 100}),
          'rebuilt',
        )
      } finally {
        await second.dispose()
      }
    })

    it('drops purged events from every report', async () => {
      const purged = await store.purge(new Date(Date.now() + 60_000))
      assert.ok(purged.events > 0, 'events purged')
      assert.deepEqual(await analytics.report({by: 'product', limit: 50}), [])
      assert.deepEqual(await analytics.active({period: 'month'}), [])
    })
  })
}
