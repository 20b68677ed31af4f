/** Limits of the HTTP contract (see SPEC.md, "The collector's HTTP contract"). */
export const MAX_MESSAGE_BYTES = 32 * 1024
/** Per request, after decompression. */
export const MAX_REQUEST_BYTES = 1024 * 1024
export const MAX_MESSAGES_PER_REQUEST = 1000
/** A sign-in or sign-out form (application/x-www-form-urlencoded), on any route. */
export const MAX_FORM_BYTES = 4096
/** Timestamps further in the future than this are rejected. */
export const MAX_FUTURE_MS = 24 * 60 * 60 * 1000
export const DEFAULT_REPORT_LIMIT = 50
export const MAX_REPORT_LIMIT = 1000
/** Timestamps before this (2000-01-01T00:00:00Z) are rejected: no real event is that old. */
export const MIN_TIMESTAMP_MS = Date.UTC(2000, 0, 1)
/** Deepest nesting of objects and arrays in a message (the message itself is level 1). */
export const MAX_DEPTH = 32
/**
 * A request (headers and body) must arrive within this time, and an idle connection is closed
 * after it: a slow client cannot hold a connection longer (docs/operators.md says 60 s).
 */
export const REQUEST_TIMEOUT_MS = 60_000
/** Shortest admin token accepted at start. */
export const MIN_ADMIN_TOKEN_LENGTH = 32
