/**
 * The `strings` table as one SQLite connection sees it. Two connections write it (the server's and
 * its aggregator thread's), so each write transaction first loads the strings the other added (ids
 * only grow: those above the last one loaded) and never inserts a string that exists; a deletion that
 * overwrites unused strings bumps a generation that both check, and a connection that sees it change
 * loads the whole table again rather than keep (and reuse) a string that is gone.
 */
import type Database from 'better-sqlite3'

import type {DictValue} from './codec.js'

import {Dictionary} from './dictionary.js'

/** Migration: the generation of the `strings` table, bumped by every overwrite. */
export const STRINGS_GENERATION_SCHEMA = `
  CREATE TABLE strings_generation (id INTEGER PRIMARY KEY CHECK (id = 1), generation INTEGER NOT NULL);
  INSERT INTO strings_generation (id, generation) VALUES (1, 0);`

export class SqliteStrings {
  readonly dict = new Dictionary()
  /** Strings added by the running write transaction: they leave the cache if it rolls back. */
  private added: string[] = []
  private generation = 0
  /** Highest string id loaded from the table. */
  private loaded = 0
  private readonly statements

  constructor(db: Database.Database) {
    const versioned = db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'strings_generation'")
      .get()
    this.statements = {
      bump: versioned
        ? db.prepare('UPDATE strings_generation SET generation = generation + 1 RETURNING generation').pluck()
        : undefined,
      // A read-only reader of a file no server has migrated yet: nothing overwrites its strings.
      generation: versioned ? db.prepare('SELECT generation FROM strings_generation').pluck() : undefined,
      insert: db.prepare('INSERT INTO strings (value) VALUES (?) RETURNING id').pluck(),
      load: db.prepare('SELECT id, value FROM strings WHERE id > ? ORDER BY id'),
      overwrite: db.prepare('UPDATE strings SET value = char(0) || id WHERE id = ?'),
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

  /** Overwrite strings nothing refers to any more, inside the caller's write transaction. */
  overwrite(ids: readonly number[]): void {
    if (ids.length === 0) return
    for (const id of ids) {
      const value = this.dict.decode(id)
      this.statements.overwrite.run(id)
      if (typeof value === 'string') this.dict.forget(value)
    }

    // This connection's cache is right already; the other one reloads when it sees the bump.
    if (this.statements.bump) this.generation = this.statements.bump.get() as number
  }

  /**
   * Bring the cache up to date with the table: at the start of every write transaction (holding
   * the write lock, so nothing changes meanwhile) and before reads.
   */
  sync(): void {
    const generation = (this.statements.generation?.get() as number | undefined) ?? 0
    if (generation !== this.generation) {
      this.dict.clear()
      this.loaded = 0
      this.generation = generation
    }

    // Strings this connection added come back too: harmless, and `loaded` never passes an id
    // that a rolled-back transaction used and another connection may reuse.
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
