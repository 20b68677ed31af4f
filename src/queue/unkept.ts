// Events that could not be appended to the queue (a full disk, a cache that cannot be written): lost,
// and `status` must be able to say so. On a full disk no file can take a byte more, so the count is
// kept in a file's name, `unkept-<count>-<code>`, renamed for each loss (a rename needs no free
// space), and the time of the last loss in its mtime.
import {closeSync, openSync, readdirSync, renameSync, statSync, utimesSync} from 'node:fs'
import {join} from 'node:path'

const NAME = /^unkept-(\d{1,9})-([\w]{1,32})$/

export interface Unkept {
  /** What the append failed with: ENOSPC, EACCES. */
  code: string
  /** Events lost; a count that raced with another process's may be one short. */
  count: number
  /** When the last one was lost (ISO 8601). */
  last: string
}

function find(cacheDir: string): undefined | {code: string; count: number; name: string} {
  try {
    for (const name of readdirSync(cacheDir)) {
      const match = NAME.exec(name)
      if (match) return {code: match[2], count: Number(match[1]), name}
    }
  } catch {
    // No cache directory: nothing was lost in it.
  }

  return undefined
}

/** Counts one event lost because appending it failed with `error`. Never throws. */
export function noteUnkept(cacheDir: string, error: unknown): void {
  const code = String((error as NodeJS.ErrnoException)?.code ?? 'EIO').replaceAll(/\W/g, '')
  const found = find(cacheDir)
  const next = join(cacheDir, `unkept-${(found?.count ?? 0) + 1}-${code}`)
  try {
    if (found) renameSync(join(cacheDir, found.name), next)
    else closeSync(openSync(next, 'a', 0o600))
    const now = new Date()
    utimesSync(next, now, now)
  } catch {
    // Another process counted at the same moment, or the directory cannot take even a name.
  }
}

export function readUnkept(cacheDir: string): undefined | Unkept {
  const found = find(cacheDir)
  if (!found) return undefined
  try {
    return {code: found.code, count: found.count, last: statSync(join(cacheDir, found.name)).mtime.toISOString()}
  } catch {
    return undefined
  }
}
