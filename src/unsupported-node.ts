// What the plugin says on a Node.js it does not run on; imported only there, so that no other
// command loads these words (the hooks' file is on every command's path).

/**
 * The Node.js versions with `process.getBuiltinModule` (node-support.ts): 20.16 and later 20s, and 22.3
 * and later (Node 21 never had it). It is package.json's `engines.node` (a test checks both).
 */
export const SUPPORTED_NODE = {engines: '^20.16.0 || >=22.3.0', words: '20.16 or a later 20.x, or 22.3 or later'}

/** What every `telemetry` command says, in one line, on a Node.js the plugin does not run on. */
export function unsupportedNodeMessage(version = process.versions.node): string {
  return `Telemetry needs Node.js ${SUPPORTED_NODE.words}, and this is Node.js ${version}: nothing is recorded or sent with it, and nothing was changed.`
}
