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

/** SQL of a UTC period label of `e.day`: YYYY-MM-DD, ISO week YYYY-Www, YYYY-MM. */
export function periodExpression(period: 'day' | 'month' | 'week'): string {
  const format = {day: '%Y-%m-%d', month: '%Y-%m', week: '%G-W%V'}[period]
  return `strftime(e.day, '${format}')`
}

/**
 * What a report by `by` groups: the key's SQL and the join that provides it (a flag or a
 * property makes one row per flag or property value; events without one are not counted).
 */
export function groupingOf(by: ReportDimension, values: SqlValue[]): {join: string; key: string} {
  if (by.startsWith('property.')) {
    values.push(by.slice('property.'.length))
    return {join: 'JOIN properties g ON g.id = e.id AND g.name = ?', key: 'g.value'}
  }

  switch (by) {
    case 'day':
    case 'month':
    case 'week': {
      return {join: '', key: periodExpression(by)}
    }

    case 'flag': {
      return {join: 'JOIN flags g ON g.id = e.id', key: 'g.flag'}
    }

    case 'version': {
      return {join: '', key: "e.product || '@' || coalesce(e.version, '')"}
    }

    default: {
      return {join: '', key: `e.${by}`}
    }
  }
}
