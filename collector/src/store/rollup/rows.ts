/**
 * Aggregate rows: what one event adds to. A row is (period, level, dim, value): the level is the
 * filter it answers (every event, one product, one release, one event name, command or outcome),
 * the dim the dimension a report groups by, the value that dimension's value (dictionary ids).
 * An event adds to each level it has and, under each, to one row per dimension (one per flag and
 * per custom property), so a report reads the rows of one (level, dim) and no cube of combinations.
 */
import type {Dictionary} from '../dictionary.js'
import type {Fact} from '../report/facts.js'

import {OTHER} from './cap.js'

/** Level kinds: level = value id * LEVEL_KINDS + kind (0 = every event). */
export const LEVEL_KIND = {command: 4, event: 3, outcome: 5, product: 1, version: 2} as const
const LEVEL_KINDS = 8

export function levelOf(kind: keyof typeof LEVEL_KIND, valueId: number): number {
  return valueId * LEVEL_KINDS + LEVEL_KIND[kind]
}

/** Dimensions with one value per event (null allowed), in the order the rows list them. */
export const SCALAR_DIMS = ['command', 'outcome', 'error', 'os', 'arch', 'ci', 'node', 'suggestion'] as const

/** Dimension of by=day|week|month and of /report/active: every event, value ''. */
export const TOTAL_DIM = '*'

export const PROPERTY_PREFIX = 'property.'

export function propertyDim(name: string): string {
  return PROPERTY_PREFIX + name
}

/** A test of whether a dimension id names a custom property, cached (dimension names are never overwritten). */
export function propertyDims(dict: Dictionary): (dim: number) => boolean {
  const known = new Map<number, boolean>()
  return (dim) => {
    let is = known.get(dim)
    if (is === undefined) {
      const name = dict.decode(dim)
      is = typeof name === 'string' && name.startsWith(PROPERTY_PREFIX)
      known.set(dim, is)
    }

    return is
  }
}

/** The value of the version dimension (and level): "product@version". */
export function versionKey(fact: Pick<Fact, 'product' | 'version'>): string {
  return `${fact.product}@${fact.version ?? ''}`
}

/** Every string an event's rows need in the dictionary (dimension names included). */
export function stringsOf(fact: Fact, out: Set<string>): void {
  out.add(fact.product)
  out.add(versionKey(fact))
  out.add(fact.event)
  for (const dim of SCALAR_DIMS) {
    const value = fact[dim]
    if (value !== null) out.add(value)
  }

  for (const flag of fact.flags) out.add(flag)
  if (fact.properties) {
    for (const [name, value] of Object.entries(fact.properties)) {
      out.add(propertyDim(name))
      out.add(value)
    }
  }
}

/** Strings every chunk's rows may need, added to the dictionary once: the fixed dimension names and OTHER. */
export const FIXED_STRINGS = [TOTAL_DIM, 'product', 'version', 'event', ...SCALAR_DIMS, 'flag', OTHER] as const

/** Tables the aggregates live in (rebuild empties them). */
export const AGG_TABLES = ['agg', 'agg_spill', 'tally_sets'] as const

/** Id of a string known to be in the dictionary; null is 0. */
export type IdOf = (value: null | string) => number

/** Levels of an event. */
export function levelsOf(fact: Fact, id: IdOf): number[] {
  const levels = [0, levelOf('product', id(fact.product)), levelOf('event', id(fact.event))]
  if (fact.version !== null) levels.push(levelOf('version', id(versionKey(fact))))
  if (fact.command !== null) levels.push(levelOf('command', id(fact.command)))
  if (fact.outcome !== null) levels.push(levelOf('outcome', id(fact.outcome)))
  return levels
}

/** (dim, value) pairs of an event, as ids, flattened: [dim0, value0, dim1, value1, ...]. */
export function dimsOf(fact: Fact, id: IdOf): number[] {
  const out = [
    id(TOTAL_DIM),
    0,
    id('product'),
    id(fact.product),
    id('version'),
    id(versionKey(fact)),
    id('event'),
    id(fact.event),
  ]
  for (const dim of SCALAR_DIMS) out.push(id(dim), id(fact[dim]))
  const flag = id('flag')
  for (const f of fact.flags) out.push(flag, id(f))
  if (fact.properties) {
    for (const [name, value] of Object.entries(fact.properties)) out.push(id(propertyDim(name)), id(value))
  }

  return out
}

/** Dimension names (fixed and property ones) and OTHER are never overwritten by a deletion: reports need them. */
export function isFixedString(value: string): boolean {
  return (FIXED_STRINGS as readonly string[]).includes(value) || value.startsWith('property.')
}
