/**
 * Whether this Node.js can run the plugin: whether it has `process.getBuiltinModule`, which the build
 * uses for every builtin (scripts/build.js). A feature test, exact where a version range is not; the
 * versions it means are in unsupported-node.ts, which only a Node.js without it loads.
 */
export function nodeSupported(): boolean {
  return typeof process.getBuiltinModule === 'function'
}
