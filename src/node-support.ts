/**
 * The oldest Node.js the plugin runs on: the first with `process.getBuiltinModule`, which the build
 * uses for every builtin (scripts/build.js). It is package.json's `engines.node` (a test checks both).
 */
export const MIN_NODE = '20.16'

/**
 * Whether this Node.js can run the plugin. A feature test rather than a version comparison: Node 21
 * and 22.0-22.2 lack the function too.
 */
export function nodeSupported(): boolean {
  // The rule knows only that it came in 22.3 (and backported to 20.16): testing for it is the point.
  // eslint-disable-next-line n/no-unsupported-features/node-builtins
  return typeof process.getBuiltinModule === 'function'
}

/** What every `telemetry` command says, in one line, on a Node.js the plugin does not run on. */
export function unsupportedNodeMessage(version = process.versions.node): string {
  return `Telemetry needs Node.js ${MIN_NODE} or later, and this is Node.js ${version}: nothing is recorded or sent with it, and nothing was changed.`
}
