/**
 * The `strings` table as the server's SQLite connection sees it: an in-memory copy, loaded once and
 * then from the last id loaded (ids only grow), so each write transaction knows every string and a
 * reader in another process picks up what the server added since.
 */
import type Database from 'better-sqlite3'

import type {DictValue} from './codec.js'

import {Dictionary} from './dictionary.js'

/**
 * Migration 6: the dictionary's generation, which two connections (the server's and an aggregator
 * thread's, before schema 8) bumped when one overwrote strings. Kept so that old files migrate in order.
 */
export const STRINGS_GENERATION_SCHEMA = `
  CREATE TABLE strings_generation (id INTEGER PRIMARY KEY CHECK (id = 1), generation INTEGER NOT NULL);
  INSERT INTO strings_generation (id, generation) VALUES (1, 0);`

export class SqliteStrings {
  readonly dict = new Dictionary()
  /** Strings added by the running write transaction: they leave the cache if it rolls back. */
  private added: string[] = []
  /** Highest string id loaded from the table. */
  private loaded = 0
  private readonly statements

  constructor(db: Database.Database) {
    this.statements = {
      insert: db.prepare('INSERT INTO strings (value) VALUES (?) RETURNING id').pluck(),
      load: db.prepare('SELECT id, value FROM strings WHERE id > ? ORDER BY id'),
    }
    this.sync()
  }

  /**
   * Strings new to the dictionary, added inside the caller's write transaction (after sync(), so
   * none exists already); they leave the cache again if the transaction rolls back.
   */
  add(values: Iterable<DictValue>): void {
    for (const value of this.dict.missing(values)) {
      const id = this.statements.insert.get(value) as number
      this.dict.set(id, value)
      this.added.push(value)
    }
  }

  /** Load the strings added since the last load (at the start of every write transaction, and on a miss). */
  sync(): void {
    const rows = this.statements.load.all(this.loaded) as {id: number; value: string}[]
    for (const {id, value} of rows) this.dict.set(id, value)
    if (rows.length > 0) this.loaded = rows.at(-1)!.id
  }

  /** Run a write transaction; the strings it added leave the cache if it fails. */
  undoOnFailure<T>(work: () => T): T {
    this.added = []
    try {
      return work()
    } catch (error) {
      for (const value of this.added) this.dict.forget(value)
      throw error
    } finally {
      this.added = []
    }
  }
}
