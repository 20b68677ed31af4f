/**
 * Anyone may post events, and nothing else bounds how many distinct commands, products, OS names,
 * flags or property values they carry. So the engine keeps at most `limit` distinct values of each
 * dimension per UTC day (first come, first kept); later new values of that day count as OTHER.
 * The values kept are remembered in the engine's `seen` table, so a restart keeps the bound.
 */
import type {DuckDBConnection} from '@duckdb/node-api'

import type {StoredFact} from '../store/store.js'

import {DAY_MS} from './time.js'
import {OTHER, SCALAR_DIMENSIONS} from './types.js'

/** Days whose kept values stay in memory (others are read again from `seen` when needed). */
const DAYS_IN_MEMORY = 62

type Kept = Map<string, Set<string>>

export class ValueBound {
  /** day number -> dimension -> values kept. */
  private readonly days = new Map<number, Kept>()
  /** Values kept by the chunk being bounded, to remember once it is appended. */
  private fresh: [day: number, dimension: string, value: string][] = []

  constructor(
    private readonly connection: DuckDBConnection,
    private readonly limit: number,
  ) {}

  /** `facts` with every value past its day's bound replaced by OTHER (the originals are not changed). */
  async apply(facts: readonly StoredFact[]): Promise<StoredFact[]> {
    this.fresh = []
    const out: StoredFact[] = []
    for (const fact of facts) {
      const day = Math.floor(fact.ts / DAY_MS)
      // eslint-disable-next-line no-await-in-loop -- a day's values are read once, then from memory
      const kept = await this.dayOf(day)
      // eslint-disable-next-line unicorn/consistent-function-scoping -- it closes over the fact's day
      const keep = (dimension: string, value: null | string) =>
        value === null ? null : this.keep(kept, day, dimension, value)
      const bounded = {...fact}
      for (const dimension of SCALAR_DIMENSIONS) {
        if (dimension !== 'event' && dimension !== 'product') bounded[dimension] = keep(dimension, fact[dimension])
      }

      bounded.product = keep('product', fact.product)!
      bounded.event = keep('event', fact.event)!
      bounded.version = keep('version', fact.version)
      if (fact.flags.length > 0) bounded.flags = [...new Set(fact.flags.map((f) => keep('flag', f)!))]
      if (fact.properties !== null) {
        const properties: Record<string, string> = Object.create(null)
        for (const [name, value] of Object.entries(fact.properties)) {
          const kept = keep(`property names of ${bounded.event}`, name)!
          properties[kept] = kept === OTHER ? OTHER : keep(`property ${name}`, value)!
        }

        bounded.properties = properties
      }

      out.push(bounded)
    }

    return out
  }

  /** Remember the values the last chunk kept (after it was appended). */
  async commit(): Promise<void> {
    if (this.fresh.length === 0) return
    const appender = await this.connection.createAppender('seen')
    try {
      for (const [day, dimension, value] of this.fresh) {
        appender.appendInteger(day)
        appender.appendVarchar(dimension)
        appender.appendVarchar(value)
        appender.endRow()
      }

      appender.flushSync()
    } finally {
      appender.closeSync()
    }

    this.fresh = []
  }

  /** Forget what memory holds (after the tables were emptied or the file replaced). */
  reset(): void {
    this.days.clear()
    this.fresh = []
  }

  private async dayOf(day: number): Promise<Kept> {
    let kept = this.days.get(day)
    if (kept) return kept
    kept = new Map()
    const reader = await this.connection.runAndReadAll('SELECT dim, value FROM seen WHERE day = ?', [day])
    for (const [dimension, value] of reader.getRows() as [string, string][]) {
      let values = kept.get(dimension)
      if (!values) kept.set(dimension, (values = new Set()))
      values.add(value)
    }

    if (this.days.size >= DAYS_IN_MEMORY) this.days.delete(this.days.keys().next().value!)
    this.days.set(day, kept)
    return kept
  }

  private keep(kept: Kept, day: number, dimension: string, value: string): string {
    let values = kept.get(dimension)
    if (!values) kept.set(dimension, (values = new Set()))
    if (values.has(value)) return value
    if (values.size >= this.limit) return OTHER
    values.add(value)
    this.fresh.push([day, dimension, value])
    return value
  }
}
