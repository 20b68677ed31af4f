/**
 * Aggregate cells: what one event adds to the rollups. A cell key is a JSON array stored in the
 * strings dictionary (its id is the cell id): the main cell holds every single-valued dimension,
 * flag and property cells one flag or one custom property value, each with the filter dimensions
 * (product, version, event, command, outcome) so that every filter can be applied to every report.
 */
import type {Fact} from '../report/facts.js'

export type CellKind = 'f' | 'm' | 'p'
/** Indexes in a cell key: [kind, product, version, event, command, outcome, ...]. */
export const FILTER_INDEX = {command: 4, event: 3, outcome: 5, product: 1, version: 2} as const
/** Indexes of the main cell's other dimensions. */
export const MAIN_INDEX = {arch: 8, ci: 9, error: 6, node: 10, os: 7, suggestion: 11} as const

export type CellKey = [CellKind, ...(null | string)[]]

export function cellKeys(fact: Fact): string[] {
  const filters = [fact.product, fact.version, fact.event, fact.command, fact.outcome]
  const keys = [JSON.stringify(['m', ...filters, fact.error, fact.os, fact.arch, fact.ci, fact.node, fact.suggestion])]
  for (const flag of fact.flags) keys.push(JSON.stringify(['f', ...filters, flag]))
  if (fact.properties) {
    for (const [name, value] of Object.entries(fact.properties))
      keys.push(JSON.stringify(['p', ...filters, name, value]))
  }

  return keys
}

/** Session tallies: ["l", product, commands] and ["t", product, command, outcome, next, ended]. */
export function lengthKey(product: string, commands: number): string {
  return JSON.stringify(['l', product, commands])
}

export function transitionKey(from: Fact, next: Fact | undefined): string {
  return JSON.stringify(['t', from.product, from.command, from.outcome, next?.command ?? null, next ? 0 : 1])
}
