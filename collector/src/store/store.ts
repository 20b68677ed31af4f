/**
 * The store of record: validated events stored once each, tombstones, deletion records, retention.
 * Reports do not come from here: the analytics engine (src/analytics) reads the events in id order
 * (factsAfter) and the deletions and purges in order (changesAfter).
 */
import type {Fact} from '../analytics/facts.js'
import type {PreparedMessage} from './message.js'

export type {PreparedMessage, TelemetryMessage} from './message.js'

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
}

export interface PurgeResult {
  /** Deletion records (and their tombstones) removed. */
  deletions: number
  /** Raw events removed (received before the cutoff). */
  events: number
}

/** One stored event as the analytics engine reads it: its report fact, ids as their 16 bytes. */
export interface StoredFact extends Omit<Fact, 'messageId' | 'session'> {
  /** The store's event id: ids only grow, so it orders what the engine has read. */
  id: number
  /** The message id's 16 bytes (they sort as its text does). */
  messageKey: Uint8Array
  /** When the collector received it (Unix seconds): what a purge goes by. */
  received: number
  /** The session id's 16 bytes, or null. */
  sessionKey: null | Uint8Array
}

/** One entry of the store's change log: an instance deleted, or events purged. */
export interface StoreChange {
  /** The deleted instance's number (the store's own, as in StoredFact.instance). */
  instance?: number
  /** Events received before this time (Unix seconds) were purged. */
  purgedBefore?: number
  seq: number
}

export interface Store {
  /** Deletions and purges logged after `afterSeq`, oldest first. */
  changesAfter(afterSeq: number): Promise<StoreChange[]>
  close(): Promise<void>
  countEvents(): Promise<number>
  /** Delete every event of the instance in one transaction, tombstone it, record and log the deletion. */
  deleteInstance(instanceId: string): Promise<DeletionRecord>
  /**
   * Events stored with an id above `afterId`, in id order, at most `limit`. Only ids that no
   * transaction still running can fall below (on PostgreSQL, the ingest horizon), so a reader that
   * goes on from the last id it got never skips an event.
   */
  factsAfter(afterId: number, limit: number): Promise<StoredFact[]>
  getDeletion(deletionId: string): Promise<DeletionRecord | undefined>
  /** The stored message (rebuilt from its columns, equal to what was received), for tests and support. */
  getMessage(messageId: string): Promise<unknown>
  /**
   * Store messages in one transaction: each message_id once; messages of tombstoned instances
   * are dropped. Resolves only once the rows are durable.
   */
  insert(messages: readonly PreparedMessage[]): Promise<InsertResult>
  readonly kind: 'postgres' | 'sqlite'
  /** The highest id factsAfter() can return now: every event acknowledged so far is at or below it. */
  lastEventId(): Promise<number>
  /** Cheap liveness check of the database. */
  ping(): Promise<void>
  /** Retention: delete events received before `cutoff` (and, when asked, older deletion records). */
  purge(cutoff: Date, options?: PurgeOptions): Promise<PurgeResult>
  /** Bytes the store takes on disk (its files, or the database's tables). */
  sizeBytes(): Promise<number>
}
