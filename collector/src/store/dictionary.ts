/** The in-memory copy of the `strings` table: dictionary ids are never reused or changed. */
import type {DictValue} from './codec.js'

export class Dictionary {
  private readonly ids = new Map<string, number>()
  private readonly values = new Map<number, string>()

  /** SQL value of a string column: NULL when absent, 0 for JSON null, else the string's id. */
  code(value: DictValue): null | number {
    if (value === undefined) return null
    if (value === null) return 0
    const id = this.ids.get(value)
    if (id === undefined) throw new Error('dictionary: string not loaded before use')
    return id
  }

  /** Inverse of `code`; undefined when the id is not loaded yet. */
  decode(id: null | number): DictValue {
    if (id === null) return undefined
    if (id === 0) return null
    const value = this.values.get(id)
    if (value === undefined) throw new MissingString(id)
    return value
  }

  /** Drop a string whose insertion was rolled back. */
  forget(value: string): void {
    const id = this.ids.get(value)
    if (id === undefined) return
    this.ids.delete(value)
    this.values.delete(id)
  }

  idOf(value: string): number | undefined {
    return this.ids.get(value)
  }

  /** Strings of `values` without a known id. */
  missing(values: Iterable<DictValue>): string[] {
    // Usually none: no set is made for nothing.
    let out: Set<string> | undefined
    for (const v of values) if (typeof v === 'string' && !this.ids.has(v)) (out ??= new Set()).add(v)
    return out === undefined ? [] : [...out].sort()
  }

  set(id: number, value: string): void {
    this.ids.set(value, id)
    this.values.set(id, value)
  }
}

/** A row names a string this process has not loaded (another process added it): reload and retry. */
export class MissingString extends Error {
  constructor(readonly id: number) {
    super(`dictionary string ${id} not loaded`)
  }
}
