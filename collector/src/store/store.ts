import type {PreparedMessage} from './message.js'
import type {
  ActiveQuery,
  ActiveRow,
  PropertiesQuery,
  PropertyRow,
  ReportQuery,
  ReportRow,
  SessionsQuery,
  SessionsReport,
} from './report/types.js'

export type {PreparedMessage, TelemetryMessage} from './message.js'
export {REPORT_DIMENSIONS} from './report/types.js'
export type {
  ActiveQuery,
  ActiveRow,
  FixedDimension,
  PropertiesQuery,
  PropertyRow,
  ReportDimension,
  ReportFilter,
  ReportQuery,
  ReportRow,
  SessionsQuery,
  SessionsReport,
} from './report/types.js'

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

export interface PurgeOptions {
  /** Also remove deletion records and tombstones older than the cutoff. */
  deletions?: boolean
  /** Also remove the aggregates (rollups) of days before the cutoff. */
  rollups?: boolean
}

export interface PurgeResult {
  /** Deletion records (and their tombstones) removed. */
  deletions: number
  /** Raw events removed (received before the cutoff). */
  events: number
  /** Aggregate rows removed. */
  rollups: number
}

export interface RebuildOptions {
  /** Rebuild even though the aggregates count events whose raw events were purged (they are lost). */
  discardPurged?: boolean
}

export interface RebuildResult {
  /** Raw events the aggregates were rebuilt from (0 when refused). */
  events: number
  /**
   * Events the aggregates counted whose raw events were purged: a rebuild loses them for good, so
   * it is refused (`rebuilt: false`) unless `discardPurged`.
   */
  purged: number
  rebuilt: boolean
}

export interface Store {
  /** Active instances and events per day, week or month. */
  active(query: ActiveQuery): Promise<ActiveRow[]>
  /**
   * Fold every stored event into the aggregates now. The background aggregator does so within a
   * second of ingest; report(), active() and sessions() call this first, so they see every event
   * stored before them.
   */
  aggregate(): Promise<void>
  close(): Promise<void>
  countEvents(): Promise<number>
  /** Delete every event of the instance in one transaction, tombstone it, record the deletion. */
  deleteInstance(instanceId: string): Promise<DeletionRecord>
  getDeletion(deletionId: string): Promise<DeletionRecord | undefined>
  /** The stored message (rebuilt from its columns, equal to what was received), for tests and support. */
  getMessage(messageId: string): Promise<unknown>
  /**
   * Store messages in one transaction: each message_id once; messages of tombstoned instances
   * are dropped. Resolves only once the rows are durable.
   */
  insert(messages: readonly PreparedMessage[]): Promise<InsertResult>
  readonly kind: 'postgres' | 'sqlite'
  /** Cheap liveness check of the database. */
  ping(): Promise<void>
  /** GET /report/properties rows: the custom property names each event carries. */
  properties(query: PropertiesQuery): Promise<PropertyRow[]>
  /** Retention: delete events received before `cutoff` (and, when asked, older aggregates and records). */
  purge(cutoff: Date, options?: PurgeOptions): Promise<PurgeResult>
  /** Recompute every aggregate from the raw events (after a purge of rollups, or to repair). */
  rebuild(options?: RebuildOptions): Promise<RebuildResult>
  /** GET /report rows. */
  report(query: ReportQuery): Promise<ReportRow[]>
  /** Commands per session and the commands run next. */
  sessions(query: SessionsQuery): Promise<SessionsReport>
}
