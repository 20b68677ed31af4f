/** An error answered with its own status code and message (`{error: message}`). */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    /** Seconds after which to ask again (a Retry-After header), for a 503 that will pass. */
    readonly retryAfter?: number,
  ) {
    super(message)
  }
}

/**
 * The store cannot serve the request now (locked by another process, connection lost, disk full):
 * answered 503, which clients retry later. Any other failure is a bug and answered 500.
 */
export class StoreUnavailable extends Error {
  override name = 'StoreUnavailable'
}

/** SQLite result codes (primary) that mean "not now", not "this request is wrong". */
const SQLITE_UNAVAILABLE = new Set([
  'SQLITE_BUSY',
  'SQLITE_CANTOPEN',
  'SQLITE_CORRUPT',
  'SQLITE_FULL',
  'SQLITE_IOERR',
  'SQLITE_LOCKED',
  'SQLITE_NOMEM',
  'SQLITE_NOTADB',
  'SQLITE_READONLY',
])

/** Network errors of a database connection. */
const NETWORK = new Set([
  'EAI_AGAIN',
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'ETIMEDOUT',
])

/** Messages node-postgres gives errors that carry no code. */
const PG_CONNECTION_MESSAGE =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Cannot use a pool after calling end)/

/**
 * True when `error` says the database is unreachable or busy rather than that the code is wrong:
 * SQLite busy/locked/I/O/full/corrupt, PostgreSQL connection classes (08, 53 insufficient
 * resources, 57P0x shutdown, 40001/40P01 left after retries), network errors.
 */
export function isStoreUnavailable(error: unknown): boolean {
  if (error instanceof StoreUnavailable) return true
  if (!(error instanceof Error)) return false
  const {code} = error as {code?: unknown}
  if (typeof code === 'string') {
    if (error.name === 'SqliteError') return SQLITE_UNAVAILABLE.has(code.replace(/^(SQLITE_[A-Z]+).*$/, '$1'))
    if (NETWORK.has(code)) return true
    if (/^(08|53|57P0)/.test(code) || code === '40001' || code === '40P01' || code === '55P03') return true
  }

  if (error instanceof AggregateError) return error.errors.some((e) => isStoreUnavailable(e))
  return PG_CONNECTION_MESSAGE.test(error.message)
}
