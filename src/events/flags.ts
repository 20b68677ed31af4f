/** The parts of an oclif flag definition needed to tell flag names from values. */
export interface FlagDefinition {
  aliases?: string[]
  allowNo?: boolean
  char?: string
  charAliases?: string[]
  type: 'boolean' | 'option'
}

export interface ArgvSummary {
  /** Number of positional arguments (their values are never kept). */
  args: number
  /** Names of the defined flags that were given, sorted, each once. */
  flags: string[]
  /** Flag-like tokens the command does not define: only counted, as they may be typos of secrets. */
  unknownFlags: number
}

/**
 * Summarises a command line without keeping any value: which defined flags were given, how many
 * unknown flag tokens and positional arguments there were. Values of option flags are skipped,
 * whether given as `--name value`, `--name=value`, `-n value` or `-nvalue`.
 */
export function summarizeArgv(argv: readonly string[], definitions: Record<string, FlagDefinition>): ArgvSummary {
  const byLong = new Map<string, [string, FlagDefinition]>()
  const byChar = new Map<string, [string, FlagDefinition]>()
  for (const [name, def] of Object.entries(definitions)) {
    for (const long of [name, ...(def.aliases ?? [])]) {
      byLong.set(long, [name, def])
      if (def.type === 'boolean' && def.allowNo) byLong.set(`no-${long}`, [name, def])
    }

    for (const char of [def.char, ...(def.charAliases ?? [])]) if (char) byChar.set(char, [name, def])
  }

  const flags = new Set<string>()
  let args = 0
  let unknownFlags = 0
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]
    if (token === '--') {
      args += argv.length - i - 1
      break
    }

    if (token.startsWith('--')) {
      const eq = token.indexOf('=')
      const found = byLong.get(token.slice(2, eq === -1 ? undefined : eq))
      if (found) {
        flags.add(found[0])
        if (found[1].type === 'option' && eq === -1) i++
      } else {
        unknownFlags++
      }
    } else if (token.startsWith('-') && token.length > 1) {
      const cluster = readShortCluster(token, byChar, flags)
      unknownFlags += cluster.unknown
      if (cluster.takesNext) i++
    } else args++
  }

  return {args, flags: [...flags].sort(), unknownFlags}
}

/** A cluster of short flags (`-fv`); an option among them takes the rest of the token or the next one. */
function readShortCluster(
  token: string,
  byChar: Map<string, [string, FlagDefinition]>,
  flags: Set<string>,
): {takesNext: boolean; unknown: number} {
  for (let j = 1; j < token.length; j++) {
    const found = byChar.get(token[j])
    if (!found) return {takesNext: false, unknown: 1}
    flags.add(found[0])
    if (found[1].type === 'option') return {takesNext: j === token.length - 1, unknown: 0}
  }

  return {takesNext: false, unknown: 0}
}
