/** The report API, called with the session cookie from this page; its types are the collector's own. */
import type {ReportRow} from '../../src/analytics/types.js'

export type {ActiveRow, PropertyRow, ReportRow, SessionsReport} from '../../src/analytics/types.js'

export class SessionExpiredError extends Error {
  constructor() {
    super('Your session has ended: sign in again.')
  }
}

export class ApiError extends Error {}

const cache = new Map<string, Promise<unknown>>()

/** GET a report route (relative, so the collector may sit under a path prefix). Cached per URL. */
export function getJson<T>(route: string, params: Record<string, number | string | undefined>): Promise<T> {
  const query = new URLSearchParams()
  // Sorted, so that the same question asked by two parts of the page is one request.
  for (const [name, value] of Object.entries(params).sort(([a], [b]) => a.localeCompare(b)))
    if (value !== undefined && value !== '') query.set(name, String(value))
  const url = `${route}?${query}`
  let pending = cache.get(url)
  if (!pending) {
    pending = fetchJson(url)
    // Failures are not cached: the next render tries again.
    pending.catch(() => cache.delete(url))
    cache.set(url, pending)
  }

  return pending as Promise<T>
}

/** Forget cached answers (a new render after a filter change reuses what it can; reload forgets). */
export function clearCache(): void {
  cache.clear()
}

async function fetchJson(url: string): Promise<unknown> {
  // The header tells the collector this comes from its own page (see dashboard/session.ts).
  const response = await fetch(url, {credentials: 'same-origin', headers: {'x-telemetry-dashboard': '1'}})
  if (response.status === 401) throw new SessionExpiredError()
  const body = (await response.json().catch(() => ({}))) as {error?: string}
  if (!response.ok) throw new ApiError(body.error ?? `the collector answered ${response.status}`)
  return body
}

export async function report(params: Record<string, number | string | undefined>): Promise<ReportRow[]> {
  const body = await getJson<{rows: ReportRow[]}>('report', {limit: 1000, ...params})
  return body.rows
}
