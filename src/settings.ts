/** What a host CLI's author configures under `oclif.telemetry` in its package.json. */
export interface Settings {
  /** The CLI's own name and version, sent as `product_version` and `cli`/`cli_version`. */
  cli: {bin: string; name: string; version: string}
  /** Base URL of the collector; undefined means nothing is recorded. */
  endpoint: string | undefined
  /** Why a configured endpoint is not used (not https, and not a loopback address). */
  endpointError: string | undefined
  /** Where the endpoint came from, for `status`. */
  endpointSource: 'environment' | 'none' | 'package.json'
  /** Prefix of the family's environment variables: the namespace upper-cased (`CHEF`). */
  envPrefix: string
  /** Custom events the tool may send, each with the property names it may carry. */
  events: Record<string, string[]>
  licenseId: string
  /** Family name: the shared config and opt-out files are per namespace. */
  namespace: string
  privacyUrl: string | undefined
  product: string
}

/** The slice of an oclif `Config` that settings are read from (so tests can pass plain objects). */
export interface HostCli {
  bin: string
  name: string
  pjson: {oclif?: object}
  root: string
  version: string
}

export const DEFAULT_NAMESPACE = 'chef'
export const NULL_LICENSE = '00000000-0000-0000-0000-000000000000'

const str = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined

/** Declared custom events: `{name: ["prop", ...]}`; anything malformed is ignored, not thrown. */
function readEvents(value: unknown): Record<string, string[]> {
  const events: Record<string, string[]> = {}
  if (!value || typeof value !== 'object') return events
  for (const [name, props] of Object.entries(value)) {
    if (Array.isArray(props)) events[name] = props.filter((p): p is string => typeof p === 'string')
  }

  return events
}

/** Namespaces become directory and variable names: keep them to a safe alphabet. */
function readNamespace(value: unknown): string {
  const ns = str(value)?.toLowerCase()
  return ns && /^[a-z][\d_a-z-]{0,31}$/.test(ns) ? ns : DEFAULT_NAMESPACE
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1])$/

/**
 * Events go over https only; plain http is allowed to loopback addresses (tests, a local collector).
 * Returns why an endpoint is refused, or undefined when it is fine.
 */
export function endpointProblem(endpoint: string): string | undefined {
  let url: URL
  try {
    url = new URL(endpoint)
  } catch {
    return 'it is not a URL'
  }

  if (url.protocol === 'https:') return undefined
  if (url.protocol === 'http:' && LOOPBACK.test(url.hostname)) return undefined
  return 'only https: endpoints are allowed (http: only to a loopback address)'
}

function rawSettings(config: HostCli): Record<string, unknown> {
  return ((config.pjson.oclif as undefined | {telemetry?: unknown})?.telemetry ?? {}) as Record<string, unknown>
}

/** Just the family, for the opt-out rules every command checks first: no URL parsing, no copying. */
export function familyOf(config: HostCli): {envPrefix: string; namespace: string} {
  const namespace = readNamespace(rawSettings(config).namespace)
  return {envPrefix: namespace.toUpperCase().replaceAll('-', '_'), namespace}
}

export function readSettings(config: HostCli, env: NodeJS.ProcessEnv = process.env): Settings {
  const raw = rawSettings(config)
  const {envPrefix, namespace} = familyOf(config)
  const fromEnv = str(env[`${envPrefix}_TELEMETRY_ENDPOINT`])
  const fromPjson = str(raw.endpoint)
  const configured = fromEnv ?? fromPjson
  const endpointError = configured === undefined ? undefined : endpointProblem(configured)
  return {
    cli: {bin: config.bin, name: config.name, version: config.version},
    endpoint: endpointError ? undefined : configured?.replace(/\/+$/, ''),
    endpointError: endpointError && `${configured}: ${endpointError}`,
    endpointSource: fromEnv ? 'environment' : fromPjson ? 'package.json' : 'none',
    envPrefix,
    events: readEvents(raw.events),
    licenseId: str(raw.licenseId) ?? NULL_LICENSE,
    namespace,
    privacyUrl: str(raw.privacyUrl),
    product: str(raw.product) ?? config.bin,
  }
}
