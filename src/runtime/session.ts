import {readFileSync, statSync, utimesSync} from 'node:fs'

import {randomUuid} from '../events/ids.js'
import {writeFileAtomic} from '../files.js'

/** A session ends after ten minutes without a command. */
export const SESSION_IDLE_MS = 10 * 60 * 1000

const UUID = /^[\da-f]{8}(?:-[\da-f]{4}){3}-[\da-f]{12}$/

/**
 * The current session id. The file holds the id and its mtime is the last command's time, so
 * continuing a session costs a stat, a read and a utimes, and never a rewrite.
 */
export async function currentSessionId(file: string, now = Date.now()): Promise<string> {
  try {
    if (now - statSync(file).mtimeMs < SESSION_IDLE_MS) {
      const id = readFileSync(file, 'utf8').trim()
      if (UUID.test(id)) {
        utimesSync(file, now / 1000, now / 1000)
        return id
      }
    }
  } catch {
    // No session yet: start one below.
  }

  const id = await randomUuid()
  try {
    writeFileAtomic(file, id)
  } catch {
    // An unwritable cache only means every command starts its own session.
  }

  return id
}
