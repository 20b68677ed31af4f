export type Cell = null | number | string

/** RFC 4180 CSV: fields with a comma, quote or line break are quoted; quotes are doubled. */
export function toCsv(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const field = (value: Cell) => {
    const text = value === null ? '' : String(value)
    // A leading =, +, - or @ would be run as a formula by spreadsheets: prefix an apostrophe (OWASP's advice).
    const safe = /^[=+\-@]/.test(text) && typeof value === 'string' ? `'${text}` : text
    return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe
  }

  return [header, ...rows].map((row) => row.map((v) => field(v)).join(',')).join('\r\n') + '\r\n'
}
