import {arch, platform, release} from 'node:os'

export interface Platform {
  arch: string
  ci: null | string
  node: string
  os: string
  os_release: string
  tty: boolean
}

// ci-info knows the CI vendors but costs about 0.6% of a command to load: it is loaded only where
// one of the variables that CI services set is present, never on a developer's own machine.
const CI_MARKERS = [
  'CI',
  'CONTINUOUS_INTEGRATION',
  'BUILD_ID',
  'BUILD_NUMBER',
  'RUN_ID',
  'CI_NAME',
  'CI_APP_ID',
  'CI_BUILD_ID',
  'CI_BUILD_NUMBER',
  'TF_BUILD',
  'JENKINS_URL',
  'TEAMCITY_VERSION',
  'CODEBUILD_BUILD_ID',
  'BITBUCKET_COMMIT',
]

async function ciVendor(env: NodeJS.ProcessEnv): Promise<null | string> {
  if (env.CI === 'false' || !CI_MARKERS.some((name) => env[name])) return null
  const ci = await import('ci-info')
  const info = ci.default ?? ci
  return info.isCI ? (info.name ?? 'unknown') : null
}

/** Where the command runs: OS, architecture, Node.js, CI vendor (never any environment value). */
export async function platformProperties(env: NodeJS.ProcessEnv = process.env): Promise<Platform> {
  return {
    arch: arch(),
    ci: await ciVendor(env),
    node: process.versions.node,
    os: platform(),
    os_release: release(),
    tty: Boolean(process.stdout.isTTY),
  }
}
