/** Report questions and answers: the shapes of GET /report, /report/active, /sessions, /retention. */
import type {Period} from './time.js'

/** Dimensions of an event that reports group and filter by (each also a filter), with property.<name>. */
export const SCALAR_DIMENSIONS = [
  'product',
  'event',
  'command',
  'outcome',
  'error',
  'os',
  'arch',
  'ci',
  'agent',
  'node',
  'suggestion',
] as const
export type ScalarDimension = (typeof SCALAR_DIMENSIONS)[number]

/** Dimensions a report groups by, besides `property.<name>`. */
export const REPORT_DIMENSIONS = [...SCALAR_DIMENSIONS, 'version', 'flag', 'day', 'week', 'month'] as const
export type FixedDimension = (typeof REPORT_DIMENSIONS)[number]
/** `version` groups by "product@version"; `property.<name>` by a custom event's property value. */
export type ReportDimension = `property.${string}` | FixedDimension

/** Filters shared by every report; days are UTC and inclusive. */
export interface ReportFilter extends Partial<Record<ScalarDimension, string>> {
  /**
   * `none`: events run outside CI (people); `any`: in any CI; otherwise one CI vendor. (`ci` of
   * the scalar dimensions, read so.)
   */
  ci?: string
  /** Events that gave this flag name. */
  flag?: string
  /** First UTC day included, YYYY-MM-DD. */
  from?: string
  /** Custom event properties, `property.<name>=<value>`: name -> value. */
  properties?: Record<string, string>
  /** Last UTC day included, YYYY-MM-DD. */
  to?: string
  /** product_version (with `product`, one release of one tool). */
  version?: string
}

export interface ReportQuery extends ReportFilter {
  by: ReportDimension
  limit: number
}

export interface ReportRow {
  events: number
  /** Events with outcome "failure". */
  failures: number
  /** Distinct instances among those events (exact). */
  instances: number
  /** Value of the grouping dimension; null when the events have none; OTHER for the folded rows. */
  key: null | string
  /** Percentiles of duration_ms over the events that have one (1% relative accuracy); null if none. */
  p50_ms: null | number
  p90_ms: null | number
  p99_ms: null | number
}

export interface ActiveQuery extends ReportFilter {
  period: Period
}

export interface ActiveRow {
  events: number
  instances: number
  /** YYYY-MM-DD, YYYY-Www (ISO week) or YYYY-MM. */
  period: string
}

export interface PropertiesQuery extends ReportFilter {
  limit: number
}

/** A custom property name seen in an event's messages over the date range (any product). */
export interface PropertyRow {
  event: string
  /** Events of that name carrying the property. */
  events: number
  property: string
}

export interface SessionsQuery extends ReportFilter {
  /** Number of (command, outcome) pairs listed in `next`. */
  limit: number
}

export interface SessionsReport {
  /** How many sessions ran n commands, for each n (ascending). */
  commands_per_session: {commands: number; sessions: number}[]
  /**
   * After a command with an outcome, the commands run next in the same session (at most 3, most
   * frequent first), or `ended: true` for sessions that ended there; `total` counts every event
   * of the pair. `command: null` (or `next: null` with `ended: false`) is an unknown command.
   */
  next: {
    command: null | string
    count: number
    ended: boolean
    next: null | string
    outcome: null | string
    total: number
  }[]
  /** Sessions with at least one command event. */
  sessions: number
}

export interface RetentionQuery extends ReportFilter {
  period: 'month' | 'week'
}

export interface RetentionReport {
  /**
   * One row per cohort (the instances first seen in that period, with the filters other than the
   * dates), oldest first: `active[i]` instances of it were seen `i` periods later (active[0] = size).
   */
  cohorts: {active: number[]; cohort: string; instances: number}[]
  /** Per period: instances seen for the first time, and those seen before that came back. */
  periods: {new: number; period: string; returning: number}[]
}

/** The key of the row that folds rows backed by too few instances (see --min-instances). */
export const OTHER = '(other)'
