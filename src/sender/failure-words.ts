// Why a request to the collector failed, in words a user can act on: `status` and `flush` show them,
// where the code alone (ENOTFOUND, HTTP 503) said little. No `got` here: status loads this module.

const CERTIFICATE = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/

/** `code` is what the request failed with: a Node/got error code or name, or `HTTP <status>`. */
export function describeFailure(endpoint: string, code: string, timeoutMs?: number): string {
  let host = endpoint
  try {
    host = new URL(endpoint).host
  } catch {
    // Not a URL: say it as configured.
  }

  const status = /^HTTP (\d{3})$/.exec(code)?.[1]
  if (status === '429') return `the collector at ${host} asked to wait (HTTP 429)`
  if (status?.startsWith('3')) return `the endpoint redirects (HTTP ${status}): check its address (${endpoint})`
  if (status) return `the collector at ${host} answered HTTP ${status}`
  switch (code) {
    case 'EAI_AGAIN': {
      return `cannot resolve ${host.replace(/:\d+$/, '')} (no answer from DNS: offline?)`
    }

    case 'ECONNREFUSED': {
      return `${host} refused the connection (nothing listens there)`
    }

    case 'ECONNRESET':
    case 'EPIPE': {
      return `the connection to ${host} was cut`
    }

    case 'EHOSTUNREACH':
    case 'ENETUNREACH': {
      return `no network route to ${host} (offline?)`
    }

    case 'ENOTFOUND': {
      return `cannot resolve ${host.replace(/:\d+$/, '')}`
    }

    case 'ETIMEDOUT':
    case 'TimeoutError': {
      return `${host} did not answer${timeoutMs ? ` within ${Math.round(timeoutMs / 1000)} s` : ''}`
    }

    default: {
      return CERTIFICATE.test(code)
        ? `the TLS certificate of ${host} is not trusted (${code})`
        : `the request to ${host} failed (${code})`
    }
  }
}
