export {Analytics} from './analytics/engine.js'
export type {AnalyticsOptions, AnalyticsStatus, Reports} from './analytics/engine.js'
export {analyticsPathFor} from './analytics/location.js'
export {AnalyticsThread} from './analytics/thread.js'
export {OTHER, REPORT_DIMENSIONS} from './analytics/types.js'
export type {
  ActiveQuery,
  ActiveRow,
  PropertiesQuery,
  PropertyRow,
  ReportDimension,
  ReportFilter,
  ReportQuery,
  ReportRow,
  RetentionQuery,
  RetentionReport,
  SessionsQuery,
  SessionsReport,
} from './analytics/types.js'
export {HttpError, isStoreUnavailable, StoreUnavailable} from './errors.js'
export * from './limits.js'
export {DEFAULT_RATE_LIMITS, parseRateLimit} from './rate-limits.js'
export type {RateLimit, RateLimits} from './rate-limits.js'
export {messageSchema, messageSchemaPath} from './schema/index.js'
export {buildServer, startServer} from './server.js'
export type {RunningServer, ServerOptions, StartServerOptions} from './server.js'
export {canonicalJson, deriveMessageId, hashInstanceId, prepareMessage} from './store/message.js'
export type {PreparedMessage, TelemetryMessage} from './store/message.js'
export {isPostgresUrl, openStore} from './store/open.js'
export type {OpenStoreOptions} from './store/open.js'
export {PostgresStore} from './store/postgres.js'
export {SqliteStore} from './store/sqlite.js'
export type {SqliteStoreOptions} from './store/sqlite.js'
export type {DeletionRecord, InsertResult, PurgeOptions, PurgeResult, Store} from './store/store.js'
export {checkBatch, checkMessage} from './validate.js'
