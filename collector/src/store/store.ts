import type {PreparedMessage} from './message.js'

export type {PreparedMessage, TelemetryMessage} from './message.js'

/** What reports can group by. `version` groups by product and product_version ("product@version"). */
export const REPORT_DIMENSIONS = ['command', 'product', 'version', 'os', 'day'] as const
export type ReportDimension = (typeof REPORT_DIMENSIONS)[number]

export interface InsertResult {
  /** Messages stored by this call. */
  accepted: number
  /** Messages already stored (same message_id), not stored again. */
  duplicates: number
  /** Messages of deleted (tombstoned) instances, dropped. */
  suppressed: number
}

/** Proof of a deletion. The instance id itself is kept only as a SHA-256 hash, never shown. */
export interface DeletionRecord {
  /** ISO 8601 UTC; null while the deletion is still running. */
  completed_at: null | string
  deletion_id: string
  events_deleted: number
  /** ISO 8601 UTC. */
  requested_at: string
}

export interface ReportQuery {
  by: ReportDimension
  /** Filter on the payload's event name (for example "command"). */
  event?: string
  /** First UTC day included, YYYY-MM-DD. */
  from?: string
  limit: number
  product?: string
  /** Last UTC day included, YYYY-MM-DD. */
  to?: string
}

export interface ReportRow {
  events: number
  /** Distinct instances among those events. */
  instances: number
  /** Value of the grouping column; null when the events have none (for example no command). */
  key: null | string
}

export interface Store {
  close(): Promise<void>
  countEvents(): Promise<number>
  /** Delete every event of the instance in one transaction, tombstone it, record the deletion. */
  deleteInstance(instanceId: string): Promise<DeletionRecord>
  getDeletion(deletionId: string): Promise<DeletionRecord | undefined>
  /** The stored message (parsed JSON), for tests and support. */
  getMessage(messageId: string): Promise<unknown>
  /**
   * Store messages in one transaction: each message_id once; messages of tombstoned instances
   * are dropped. Resolves only once the rows are durable.
   */
  insert(messages: readonly PreparedMessage[]): Promise<InsertResult>
  readonly kind: 'postgres' | 'sqlite'
  /** Cheap liveness check of the database. */
  ping(): Promise<void>
  /** Retention: delete events received before `cutoff`; resolves to the number removed. */
  purge(cutoff: Date): Promise<number>
  /** Aggregate counts, computed by the database (GROUP BY, COUNT(DISTINCT instance_id)). */
  report(query: ReportQuery): Promise<ReportRow[]>
}

/** SQL expression (identical in SQLite and PostgreSQL) for each report dimension. */
export const DIMENSION_SQL: Record<ReportDimension, string> = {
  command: 'command',
  day: 'day',
  os: 'os',
  product: 'product',
  version: "product || '@' || COALESCE(product_version, '')",
}
