/** Report filters and groupings as SQL over the engine's tables (see schema.ts), with bound values. */
import {type ReportDimension, type ReportFilter, SCALAR_DIMENSIONS} from './types.js'

export type SqlValue = number | string

/** The WHERE clause of `filter` over `events e`, its values appended to `values`. */
export function whereOf(filter: ReportFilter, values: SqlValue[]): string {
  const clauses: string[] = []
  for (const dimension of SCALAR_DIMENSIONS) {
    const value = filter[dimension]
    if (value === undefined) continue
    if (dimension === 'ci' && value === 'none') clauses.push('e.ci IS NULL')
    else if (dimension === 'ci' && value === 'any') clauses.push('e.ci IS NOT NULL')
    else {
      clauses.push(`e.${dimension} = ?`)
      values.push(value)
    }
  }

  if (filter.version !== undefined) {
    clauses.push('e.version = ?')
    values.push(filter.version)
  }

  if (filter.flag !== undefined) {
    clauses.push('e.id IN (SELECT id FROM flags WHERE flag = ?)')
    values.push(filter.flag)
  }

  for (const [name, value] of Object.entries(filter.properties ?? {})) {
    clauses.push('e.id IN (SELECT id FROM properties WHERE name = ? AND value = ?)')
    values.push(name, value)
  }

  if (filter.from !== undefined) {
    clauses.push('e.day >= ?::DATE')
    values.push(filter.from)
  }

  if (filter.to !== undefined) {
    clauses.push('e.day <= ?::DATE')
    values.push(filter.to)
  }

  return clauses.length === 0 ? 'TRUE' : clauses.join(' AND ')
}

/** A UTC period's label (YYYY-MM-DD, ISO week YYYY-Www, YYYY-MM) of its first day, in SQL. */
export function periodLabel(period: 'day' | 'month' | 'week', first: string): string {
  const format = {day: '%Y-%m-%d', month: '%Y-%m', week: '%G-W%V'}[period]
  return `strftime(${first}, '${format}')`
}

/** The first day of `e.day`'s period (ISO weeks start on Monday): grouped by, then labelled. */
export function periodStart(period: 'day' | 'month' | 'week'): string {
  return period === 'day' ? 'e.day' : `date_trunc('${period}', e.day)`
}

/** A grouped key shown as it is. */
const same = (k: string) => k

/**
 * What a report by `by` groups: the key's SQL, the join that provides it (a flag or a property
 * makes one row per flag or property value; events without one are not counted), and the label
 * shown for a grouped key `k` (periods group by their first day, cheaper than by their text).
 */
export function groupingOf(
  by: ReportDimension,
  values: SqlValue[],
): {join: string; key: string; label: (k: string) => string} {
  if (by.startsWith('property.')) {
    values.push(by.slice('property.'.length))
    return {join: 'JOIN properties g ON g.id = e.id AND g.name = ?', key: 'g.value', label: same}
  }

  switch (by) {
    case 'day':
    case 'month':
    case 'week': {
      return {join: '', key: periodStart(by), label: (k) => periodLabel(by, k)}
    }

    case 'flag': {
      return {join: 'JOIN flags g ON g.id = e.id', key: 'g.flag', label: same}
    }

    case 'version': {
      return {join: '', key: "e.product || '@' || coalesce(e.version, '')", label: same}
    }

    default: {
      return {join: '', key: `e.${by}`, label: same}
    }
  }
}
