/** Session tally keys, stored in the strings dictionary: ["l", product, commands] and ["t", ...]. */
import type {Fact} from '../report/facts.js'

/** Kinds of tally rows. */
export const TALLY_KIND = {l: 0, t: 1} as const

export function tallyKind(key: string): number {
  return TALLY_KIND[JSON.parse(key)[0] as 'l']
}

export function lengthKey(product: string, commands: number): string {
  return JSON.stringify(['l', product, commands])
}

/** ["t", product, command, outcome, next command, 1 when the session ended there]. */
export function transitionKey(from: Fact, next: Fact | undefined): string {
  return JSON.stringify(['t', from.product, from.command, from.outcome, next?.command ?? null, next ? 0 : 1])
}
