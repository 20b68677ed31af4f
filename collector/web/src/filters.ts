/** The filters every view shares, kept in the URL's hash: `#/commands?product=chef&range=30`. */
export interface Filters {
  /** Custom range: first and last UTC day, YYYY-MM-DD (inclusive). */
  from?: string
  product?: string
  /** Preset range in days (7, 30, 90), or 'custom' with from and to. */
  range: '7' | '30' | '90' | 'custom'
  to?: string
  version?: string
}

export const VIEWS = [
  {id: 'overview', title: 'Overview'},
  {id: 'commands', title: 'Commands'},
  {id: 'versions', title: 'Versions'},
  {id: 'environment', title: 'Environment'},
  {id: 'events', title: 'Custom events'},
  {id: 'flows', title: 'Flows'},
] as const
export type ViewId = (typeof VIEWS)[number]['id']

const DAY = /^\d{4}-\d{2}-\d{2}$/
const DAY_MS = 86_400_000

export function isoDay(time: number): string {
  return new Date(time).toISOString().slice(0, 10)
}

/** Read the view and filters from a hash; anything malformed falls back to the defaults. */
export function parseHash(hash: string): {filters: Filters; view: ViewId} {
  const [path, query = ''] = hash.replace(/^#\/?/, '').split('?', 2)
  const view = VIEWS.find((v) => v.id === path)?.id ?? 'overview'
  const params = new URLSearchParams(query)
  const range = params.get('range')
  const filters: Filters = {range: range === '7' || range === '90' || range === 'custom' ? range : '30'}
  const product = params.get('product')
  if (product) filters.product = product
  const version = params.get('version')
  if (version && product) filters.version = version
  if (filters.range === 'custom') {
    const from = params.get('from') ?? ''
    const to = params.get('to') ?? ''
    if (DAY.test(from) && DAY.test(to) && from <= to) Object.assign(filters, {from, to})
    else filters.range = '30'
  }

  return {filters, view}
}

export function formatHash(view: ViewId, filters: Filters): string {
  const params = new URLSearchParams()
  if (filters.product) params.set('product', filters.product)
  if (filters.product && filters.version) params.set('version', filters.version)
  params.set('range', filters.range)
  if (filters.range === 'custom' && filters.from && filters.to) {
    params.set('from', filters.from)
    params.set('to', filters.to)
  }

  return `#/${view}?${params}`
}

/** The inclusive UTC day range the filters select; presets end today. */
export function dayRange(filters: Filters, now = Date.now()): {from: string; to: string} {
  if (filters.range === 'custom' && filters.from && filters.to) return {from: filters.from, to: filters.to}
  const days = Number(filters.range)
  return {from: isoDay(now - (days - 1) * DAY_MS), to: isoDay(now)}
}

/** Query parameters of the report API for these filters (version only with a product). */
export function apiParams(
  filters: Filters,
  options: {product?: boolean; version?: boolean} = {},
): Record<string, string> {
  const params: Record<string, string> = {...dayRange(filters)}
  if (filters.product && options.product !== false) params.product = filters.product
  if (filters.version && options.version !== false) params.version = filters.version
  return params
}
