import {arch, platform, release} from 'node:os'

export interface Environment {
  arch: string
  ci: null | string
  node: string
  os: string
  os_release: string
  tty: boolean
}

/** Where the command runs: OS, architecture, Node.js, CI vendor (never any environment value). */
export async function environment(): Promise<Environment> {
  // Imported here, not at the top: only commands that are recorded pay for ci-info's vendor table.
  const ci = await import('ci-info')
  const info = ci.default ?? ci
  return {
    arch: arch(),
    ci: info.isCI ? (info.name ?? 'unknown') : null,
    node: process.versions.node,
    os: platform(),
    os_release: release(),
    tty: Boolean(process.stdout.isTTY),
  }
}
