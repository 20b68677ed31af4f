// Whether the command runs in CI, and which service: for the `ci` property and for the rule that
// keeps CI runs from creating a shared config (docs/decision.md).

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

/** The CI service's name as ci-info gives it (`unknown` when it is CI of no known vendor), or null. */
export async function ciVendor(env: NodeJS.ProcessEnv): Promise<null | string> {
  if (env.CI === 'false' || !CI_MARKERS.some((name) => env[name])) return null
  const ci = await import('ci-info')
  const info = ci.default ?? ci
  return info.isCI ? (info.name ?? 'unknown') : null
}
