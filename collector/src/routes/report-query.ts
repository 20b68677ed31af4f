/** Parse and check report parameters: one parser for the HTTP routes and the CLI. */
import {HttpError} from '../errors.js'
import {DEFAULT_REPORT_LIMIT, MAX_REPORT_LIMIT} from '../limits.js'
import {
  type ActiveQuery,
  type PropertiesQuery,
  REPORT_DIMENSIONS,
  type ReportDimension,
  type ReportFilter,
  type ReportQuery,
  type SessionsQuery,
} from '../store/store.js'

const DAY = /^\d{4}-\d{2}-\d{2}$/
const FILTERS = ['product', 'version', 'command', 'event', 'outcome'] as const
const PERIODS = ['day', 'week', 'month'] as const

function isDay(value: string): boolean {
  return (
    DAY.test(value) &&
    value >= '2000-01-01' &&
    !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) &&
    new Date(`${value}T00:00:00Z`).toISOString().startsWith(value)
  )
}

type Input = Record<string, unknown>

function reader(input: Input, known: readonly string[]) {
  for (const key of Object.keys(input)) {
    if (!known.includes(key)) throw new HttpError(400, `unknown parameter ${JSON.stringify(key)}`)
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

function days(single: (name: string) => string | undefined, target: {from?: string; to?: string}): void {
  for (const name of ['from', 'to'] as const) {
    const value = single(name)
    if (value === undefined) continue
    if (!isDay(value)) throw new HttpError(400, `${name} must be a date YYYY-MM-DD (UTC, inclusive, from 2000)`)
    target[name] = value
  }

  if (target.from !== undefined && target.to !== undefined && target.from > target.to) {
    throw new HttpError(400, 'from must not be after to')
  }
}

function limitOf(single: (name: string) => string | undefined): number {
  const limit = single('limit')
  if (limit === undefined) return DEFAULT_REPORT_LIMIT
  if (!/^\d+$/.test(limit) || Number(limit) < 1 || Number(limit) > MAX_REPORT_LIMIT) {
    throw new HttpError(400, `limit must be an integer from 1 to ${MAX_REPORT_LIMIT}`)
  }

  return Number(limit)
}

/** GET /report: by, product, version, command, event, outcome, from, to, limit. */
export function parseReportQuery(input: Input): ReportQuery {
  const single = reader(input, ['by', 'limit', 'from', 'to', ...FILTERS])
  const by = single('by') ?? 'command'
  const isProperty = by.startsWith('property.') && by.length > 'property.'.length && by.length <= 128 + 9
  if (!isProperty && !(REPORT_DIMENSIONS as readonly string[]).includes(by)) {
    throw new HttpError(400, `by must be one of ${REPORT_DIMENSIONS.join(', ')} or property.<name>`)
  }

  const query: ReportQuery = {by: by as ReportDimension, limit: limitOf(single)}
  days(single, query)
  filters(single, query)
  return query
}

function filters(single: (name: string) => string | undefined, target: ReportFilter): void {
  for (const name of FILTERS) {
    const value = single(name)
    if (value !== undefined) target[name] = text(name, value)
  }
}

/** GET /report/active: period (day, week or month; default day), product, from, to. */
export function parseActiveQuery(input: Input): ActiveQuery {
  const single = reader(input, ['period', 'product', 'from', 'to'])
  const period = single('period') ?? 'day'
  if (!(PERIODS as readonly string[]).includes(period)) throw new HttpError(400, 'period must be day, week or month')
  const query: ActiveQuery = {period: period as ActiveQuery['period']}
  const product = single('product')
  if (product !== undefined) query.product = text('product', product)
  days(single, query)
  return query
}

/** GET /report/properties: event, from, to. */
export function parsePropertiesQuery(input: Input): PropertiesQuery {
  const single = reader(input, ['event', 'from', 'to'])
  const query: PropertiesQuery = {}
  const event = single('event')
  if (event !== undefined) query.event = text('event', event)
  days(single, query)
  return query
}

/** GET /report/sessions: product, from, to, limit (command/outcome pairs listed). */
export function parseSessionsQuery(input: Input): SessionsQuery {
  const single = reader(input, ['product', 'from', 'to', 'limit'])
  const query: SessionsQuery = {limit: limitOf(single)}
  const product = single('product')
  if (product !== undefined) query.product = text('product', product)
  days(single, query)
  return query
}
