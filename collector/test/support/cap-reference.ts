/**
 * The property cap as the reports must show it, written apart from the stores' ranking code (a
 * ranking or tie-break mistake there must not pass the tests): each UTC day, a property keeps its
 * `cap` most frequent values (ties by text; a sent "(other)" never), the rest become "(other)".
 */
import type {Fact} from '../../src/store/report/facts.js'

const DAY_MS = 86_400_000

export function capFacts(facts: readonly Fact[], cap: number): Fact[] {
  const counts = new Map<string, Map<string, number>>()
  const keyOf = (fact: Fact, name: string) => `${Math.floor(fact.ts / DAY_MS)} ${name}`
  for (const fact of facts) {
    for (const [name, value] of Object.entries(fact.properties ?? {})) {
      const values = counts.get(keyOf(fact, name)) ?? new Map<string, number>()
      counts.set(keyOf(fact, name), values.set(value, (values.get(value) ?? 0) + 1))
    }
  }

  const kept = new Map<string, Set<string>>()
  for (const [key, values] of counts) {
    const ranked = [...values]
      .filter(([value]) => value !== '(other)')
      .sort(([a, n], [b, m]) => m - n || (a < b ? -1 : a > b ? 1 : 0))
    kept.set(key, new Set(ranked.slice(0, cap).map(([value]) => value)))
  }

  return facts.map((fact) => {
    if (!fact.properties) return fact
    const properties = Object.fromEntries(
      Object.entries(fact.properties).map(([name, value]) => [
        name,
        kept.get(keyOf(fact, name))!.has(value) ? value : '(other)',
      ]),
    )
    return {...fact, properties}
  })
}
