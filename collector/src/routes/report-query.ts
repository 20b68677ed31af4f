import {
  type ActiveQuery,
  type PropertiesQuery,
  REPORT_DIMENSIONS,
  type ReportDimension,
  type ReportFilter,
  type ReportQuery,
  type RetentionQuery,
  SCALAR_DIMENSIONS,
  type SessionsQuery,
} from '../analytics/types.js'
/** Parse and check report parameters: one parser for the HTTP routes and the CLI. */
import {HttpError} from '../errors.js'
import {DEFAULT_REPORT_LIMIT, MAX_REPORT_LIMIT} from '../limits.js'

const DAY = /^\d{4}-\d{2}-\d{2}$/
/** Every dimension filters every report, and so do `flag`, `version` and `property.<name>`. */
const FILTERS = [...SCALAR_DIMENSIONS, 'version', 'flag'] as const
const PERIODS = ['day', 'week', 'month'] as const
const PROPERTY = 'property.'
/** Property filters one report may combine. */
const MAX_PROPERTY_FILTERS = 8

function isDay(value: string): boolean {
  return (
    DAY.test(value) &&
    value >= '2000-01-01' &&
    !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) &&
    new Date(`${value}T00:00:00Z`).toISOString().startsWith(value)
  )
}

type Input = Record<string, unknown>

const isPropertyName = (key: string) =>
  key.startsWith(PROPERTY) && key.length > PROPERTY.length && key.length <= 128 + 9

function reader(input: Input, known: readonly string[]) {
  for (const key of Object.keys(input)) {
    if (!known.includes(key) && !isPropertyName(key))
      throw new HttpError(400, `unknown parameter ${JSON.stringify(key)}`)
  }

  return (name: string): string | undefined => {
    const value = input[name]
    if (value === undefined) return undefined
    if (typeof value !== 'string') throw new HttpError(400, `${name} must be given once`)
    return value
  }
}

function text(name: string, value: string): string {
  if (value.length === 0 || value.length > 128) throw new HttpError(400, `${name} must be 1 to 128 characters`)
  return value
}

function limitOf(single: (name: string) => string | undefined): number {
  const limit = single('limit')
  if (limit === undefined) return DEFAULT_REPORT_LIMIT
  if (!/^\d+$/.test(limit) || Number(limit) < 1 || Number(limit) > MAX_REPORT_LIMIT) {
    throw new HttpError(400, `limit must be an integer from 1 to ${MAX_REPORT_LIMIT}`)
  }

  return Number(limit)
}

/** The filters every report takes: each dimension, property.<name>, from and to (UTC days, inclusive). */
function filterOf(input: Input, single: (name: string) => string | undefined): ReportFilter {
  const filter: ReportFilter = {}
  for (const name of ['from', 'to'] as const) {
    const value = single(name)
    if (value === undefined) continue
    if (!isDay(value)) throw new HttpError(400, `${name} must be a date YYYY-MM-DD (UTC, inclusive, from 2000)`)
    filter[name] = value
  }

  if (filter.from !== undefined && filter.to !== undefined && filter.from > filter.to) {
    throw new HttpError(400, 'from must not be after to')
  }

  for (const name of FILTERS) {
    const value = single(name)
    if (value !== undefined) filter[name] = text(name, value)
  }

  const properties = Object.keys(input).filter((key) => isPropertyName(key))
  if (properties.length > MAX_PROPERTY_FILTERS) {
    throw new HttpError(400, `at most ${MAX_PROPERTY_FILTERS} property filters in one report`)
  }

  for (const key of properties) {
    filter.properties ??= Object.create(null) as Record<string, string>
    filter.properties[key.slice(PROPERTY.length)] = text(key, single(key)!)
  }

  return filter
}

const FILTER_KEYS = ['from', 'to', ...FILTERS]

/** GET /report: by, limit and the filters. */
export function parseReportQuery(input: Input): ReportQuery {
  const single = reader(input, ['by', 'limit', ...FILTER_KEYS])
  const by = single('by') ?? 'command'
  if (!isPropertyName(by) && !(REPORT_DIMENSIONS as readonly string[]).includes(by)) {
    throw new HttpError(400, `by must be one of ${REPORT_DIMENSIONS.join(', ')} or property.<name>`)
  }

  return {by: by as ReportDimension, limit: limitOf(single), ...filterOf(input, single)}
}

/** GET /report/active: period (day, week or month; default day) and the filters. */
export function parseActiveQuery(input: Input): ActiveQuery {
  const single = reader(input, ['period', ...FILTER_KEYS])
  const period = single('period') ?? 'day'
  if (!(PERIODS as readonly string[]).includes(period)) throw new HttpError(400, 'period must be day, week or month')
  return {period: period as ActiveQuery['period'], ...filterOf(input, single)}
}

/** GET /report/properties: limit and the filters. */
export function parsePropertiesQuery(input: Input): PropertiesQuery {
  const single = reader(input, ['limit', ...FILTER_KEYS])
  return {limit: limitOf(single), ...filterOf(input, single)}
}

/** GET /report/sessions: limit (command/outcome pairs listed) and the filters. */
export function parseSessionsQuery(input: Input): SessionsQuery {
  const single = reader(input, ['limit', ...FILTER_KEYS])
  return {limit: limitOf(single), ...filterOf(input, single)}
}

/** GET /report/retention: period (week, the default, or month) and the filters. */
export function parseRetentionQuery(input: Input): RetentionQuery {
  const single = reader(input, ['period', ...FILTER_KEYS])
  const period = single('period') ?? 'week'
  if (period !== 'week' && period !== 'month') throw new HttpError(400, 'period must be week or month')
  return {period, ...filterOf(input, single)}
}
