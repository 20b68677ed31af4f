// The one build of the plugin's runtime code: esbuild, with code splitting over every entry point
// (the hooks, the package's index, the background sender, the commands), so every module exists once
// at run time. Dependencies stay external (installed beside the plugin); tsc only checks types and
// writes the declarations of the package's index.
//   dist/hooks/index.js        both hooks, what every command loads
//   dist/index.js              track(), for host CLIs' own commands
//   dist/index.cjs             the same for CommonJS hosts: it imports dist/index.js
//   dist/sender/main.js        the background sender, started detached by the finally hook
//   dist/commands/telemetry/   the commands (oclif finds them through oclif.manifest.json)
//   dist/chunks/               code shared by entry points, and what is imported lazily (a first
//                              run, recording a command, the YAML file)
import {build} from 'esbuild'
import {readdirSync, readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {join} from 'node:path'

const outdir = process.argv[2] ?? 'dist'

// An `import` of a Node builtin in an ES module builds a facade of all its exports when loaded:
// 0.1-0.2% of a command each (measured with bench/overhead), for every command. Builtins are taken
// with process.getBuiltinModule instead (Node 20.16+), which returns the very object that `require`
// would, with no facade.
// On a Node.js without it (18, 21) the modules must still load, so that the hooks can do nothing there
// and the `telemetry` commands can say why in one line (src/node-support.ts). The plugin's own code
// uses no builtin before the init hook has checked, so for it a builtin is then an empty object; a
// bundled dependency runs code when it is loaded (env-paths calls os.homedir()), so for it a builtin
// is a stand-in whose members are functions that do nothing.
const require = createRequire(import.meta.url)
const builtinsWithoutFacade = {
  name: 'builtins-without-facade',
  setup(b) {
    // One such module per importer: shared by modules that different entry points reach, it would be a
    // chunk (a file) of its own.
    b.onResolve({filter: /^node:/}, (args) =>
      args.kind === 'import-statement'
        ? {
            namespace: 'builtin',
            path: args.path,
            pluginData: {dependency: /[/\\]node_modules[/\\]/.test(args.importer), path: args.path},
            suffix: `?${args.importer}`,
          }
        : undefined,
    )
    b.onLoad({filter: /.*/, namespace: 'builtin'}, ({pluginData: {dependency, path}}) => {
      const names = Object.keys(require(path)).filter((name) => /^[$A-Z_a-z][\w$]*$/.test(name) && name !== 'default')
      const missing = dependency ? 'new Proxy({}, {get: () => () => {}})' : '{}'
      const contents = [
        `const m = process.getBuiltinModule?.(${JSON.stringify(path)}) ?? ${missing}`,
        'export default m',
        // Marked pure so that esbuild drops the ones a chunk does not use (and never touches lazy getters such as process.stdin).
        ...names.map((name) => `export const ${name} = /* @__PURE__ */ (() => m.${name})()`),
      ].join('\n')
      return {contents, loader: 'js'}
    })
  },
}

const pkg = JSON.parse(readFileSync('package.json', 'utf8'))
const commands = readdirSync('src/commands/telemetry').map((file) => join('src/commands/telemetry', file))
const {metafile} = await build({
  bundle: true,
  chunkNames: 'chunks/[name]-[hash]',
  entryPoints: ['src/hooks/index.ts', 'src/index.ts', 'src/sender/main.ts', ...commands],
  // Dependencies stay external, but for env-paths: on every command's path, where as a package of
  // its own it would load two more modules and three builtin facades (0.2% of a command, measured).
  external: Object.keys(pkg.dependencies).filter((name) => name !== 'env-paths'),
  format: 'esm',
  legalComments: 'inline',
  logLevel: 'warning',
  metafile: true,
  minify: true,
  outbase: 'src',
  outdir,
  platform: 'node',
  plugins: [builtinsWithoutFacade],
  splitting: true,
  target: 'node20',
})

// Every command of the host CLI loads the hooks' file and what it imports. The code they share with
// the commands and the sender is one chunk as long as every module on that path is reached by the
// same entry points (a module that a lazily imported chunk also imports becomes a chunk of its own):
// fail the build rather than let a second file onto every command's path unnoticed.
const hooks = metafile.outputs[join(outdir, 'hooks', 'index.js')]
const loaded = hooks.imports.filter((i) => !i.external && i.kind === 'import-statement')
if (loaded.length > 1) {
  throw new Error(
    `dist/hooks/index.js loads ${loaded.length} chunks on every command (${loaded.map((i) => i.path).join(', ')}): ` +
      'keep the modules the hooks import statically out of the static imports of lazily imported ones',
  )
}

// The package's entry for CommonJS hosts (src/index.cts): a CommonJS file that imports dist/index.js,
// so there is one copy of the code and of the run state, whichever way a host loads track().
await build({
  entryPoints: ['src/index.cts'],
  format: 'cjs',
  logLevel: 'warning',
  minify: true,
  outfile: join(outdir, 'index.cjs'),
  platform: 'node',
  target: 'node20',
})
