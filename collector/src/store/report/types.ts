/** Report questions and answers: the shapes of GET /report, /report/active and /report/sessions. */
import type {Period} from './time.js'

/** Dimensions a report groups by, besides `property.<name>`. */
export const REPORT_DIMENSIONS = [
  'product',
  'version',
  'command',
  'event',
  'outcome',
  'error',
  'os',
  'arch',
  'ci',
  'node',
  'day',
  'week',
  'month',
  'flag',
  'suggestion',
] as const
export type FixedDimension = (typeof REPORT_DIMENSIONS)[number]
/** `version` groups by "product@version"; `property.<name>` by a custom event's property value. */
export type ReportDimension = `property.${string}` | FixedDimension

/** Filters shared by every report; days are UTC and inclusive. */
export interface ReportFilter {
  command?: string
  event?: string
  /** First UTC day included, YYYY-MM-DD. */
  from?: string
  outcome?: string
  product?: string
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
  /** Value of the grouping dimension; null when the events have none (for example no command). */
  key: null | string
  /** Percentiles of duration_ms over the events that have one (1% relative accuracy); null if none. */
  p50_ms: null | number
  p90_ms: null | number
  p99_ms: null | number
}

export interface ActiveQuery {
  from?: string
  period: Period
  product?: string
  to?: string
}

export interface ActiveRow {
  events: number
  instances: number
  /** YYYY-MM-DD, YYYY-Www (ISO week) or YYYY-MM. */
  period: string
}

export interface PropertiesQuery {
  /** One custom event; all of them when absent. */
  event?: string
  from?: string
  to?: string
}

/** A custom property name seen in an event's messages over the date range (any product). */
export interface PropertyRow {
  event: string
  /** Events of that name carrying the property. */
  events: number
  property: string
}

export interface SessionsQuery {
  from?: string
  /** Number of (command, outcome) pairs listed in `next`. */
  limit: number
  product?: string
  to?: string
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
