/** How far a mistyped id may be from a command id or topic of the CLI to be taken for it. */
export const MAX_DISTANCE = 2
const MAX_WORDS = 5

/** Levenshtein distance, or MAX_DISTANCE + 1 as soon as it is known to be larger. */
export function distance(a: string, b: string, max = MAX_DISTANCE): number {
  if (Math.abs(a.length - b.length) > max) return max + 1
  let previous = Array.from({length: b.length + 1}, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    }

    if (Math.min(...row) > max) return max + 1
    previous = row
  }

  return previous[b.length]
}

/**
 * The CLI's own id nearest to what was typed, or null: never the typed word itself, which may be a
 * mistyped secret. With spaces as topic separator oclif folds the arguments that follow a mistyped
 * command into the id it tried (`mycli deplyo web` tries `deplyo:web`), so the longest run of leading
 * words that is within MAX_DISTANCE of a known id wins; among equally near ids the first in
 * alphabetical order, so that the same typo always gives the same suggestion.
 */
export function nearestId(typed: string, known: readonly string[]): null | string {
  // Ids are at most a few words deep; the rest of a long line of arguments is never compared.
  const words = typed.split(':').slice(0, MAX_WORDS)
  for (let n = words.length; n > 0; n--) {
    const prefix = words.slice(0, n).join(':')
    let best: null | string = null
    let bestDistance = MAX_DISTANCE + 1
    for (const id of known) {
      const d = distance(prefix, id)
      if (d < bestDistance || (d === bestDistance && best !== null && id < best)) {
        best = id
        bestDistance = d
      }
    }

    if (best !== null) return best
  }

  return null
}
