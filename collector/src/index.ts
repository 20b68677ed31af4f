export * from './limits.js'
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
export {REPORT_DIMENSIONS} from './store/store.js'
export type {
  ActiveQuery,
  ActiveRow,
  DeletionRecord,
  InsertResult,
  PurgeOptions,
  PurgeResult,
  RebuildResult,
  ReportDimension,
  ReportFilter,
  ReportQuery,
  ReportRow,
  SessionsQuery,
  SessionsReport,
  Store,
} from './store/store.js'
export {checkBatch, checkMessage} from './validate.js'
