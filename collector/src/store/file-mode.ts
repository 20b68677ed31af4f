import {chmodSync, closeSync, existsSync, mkdirSync, openSync} from 'node:fs'
import {dirname} from 'node:path'

/** The store holds instance ids, the deletion secret: only its owner may read it. */
export const STORE_FILE_MODE = 0o600

/**
 * Create the SQLite file (and its directory, 0700) owner-only before SQLite opens it: SQLite
 * gives the -wal and -shm files the database file's mode. An existing file from an older
 * version is narrowed too.
 */
export function prepareStoreFile(path: string): void {
  mkdirSync(dirname(path), {mode: 0o700, recursive: true})
  closeSync(openSync(path, 'a', STORE_FILE_MODE))
  for (const file of [path, `${path}-wal`, `${path}-shm`, `${path}-journal`]) {
    if (!existsSync(file)) continue
    try {
      chmodSync(file, STORE_FILE_MODE)
    } catch {
      // Not ours to change (another owner): SQLite will say if it cannot use it.
    }
  }
}
