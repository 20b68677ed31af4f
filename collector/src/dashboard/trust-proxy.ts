/**
 * COLLECTOR_TRUST_PROXY to fastify's trustProxy: unset, empty, `false` or `0` trusts nothing; `true`
 * trusts any proxy (only when nothing else can reach the collector); anything else is a
 * comma-separated list of proxy addresses or CIDR ranges (for example `127.0.0.1,10.0.0.0/8`).
 */
export function parseTrustProxy(value?: string): boolean | string {
  const text = value?.trim() ?? ''
  if (text === '' || text === 'false' || text === '0') return false
  if (text === 'true') return true
  return text
}
