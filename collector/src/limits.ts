/** Limits of the HTTP contract (see SPEC.md, "The collector's HTTP contract"). */
export const MAX_MESSAGE_BYTES = 32 * 1024
/** Per request, after decompression. */
export const MAX_REQUEST_BYTES = 1024 * 1024
export const MAX_MESSAGES_PER_REQUEST = 1000
/** Timestamps further in the future than this are rejected. */
export const MAX_FUTURE_MS = 24 * 60 * 60 * 1000
export const DEFAULT_REPORT_LIMIT = 50
export const MAX_REPORT_LIMIT = 1000
