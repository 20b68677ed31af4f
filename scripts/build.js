// The one build script of the plugin's runtime code: esbuild, dependencies external (installed beside
// the plugin); tsc only checks types and writes the declarations of the package's index. Two esbuild
// builds, because the code every command of the host CLI runs wants the fewest files and the rest
// wants each module once:
//   dist/hooks/                the hooks' code, what a command loads: each file a bundle of its own (no
//                              shared chunks), the files importing one another only lazily
//     index.js                 both hooks and rules 1 to 4 of the decision: all an opted-out command loads
//     record.js                rules 5 to 7, recording a command and track()'s events: loaded by the
//                              init hook once rules 1 to 4 found no opt-out
//     first-run.js, yaml-file.js, lock.js   a first run, a changed config, starting a sender
//   dist/index.js              track(), for host CLIs' own commands
//   dist/sender/main.js        the background sender, started detached by the finally hook
//   dist/commands/telemetry/   the commands (oclif finds them through oclif.manifest.json)
//   dist/chunks/               code shared by those last three, and what they import lazily
import {build} from 'esbuild'
import {readdirSync, readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {basename, join, relative, resolve} from 'node:path'

const outdir = process.argv[2] ?? 'dist'

// An `import` of a Node builtin in an ES module builds a facade of all its exports when loaded:
// 0.1-0.2% of a command each (measured with bench/overhead), for every command. Builtins are taken
// with process.getBuiltinModule instead (Node 20.16+), which returns the very object that `require`
// would, with no facade.
const require = createRequire(import.meta.url)
const builtinsWithoutFacade = {
  name: 'builtins-without-facade',
  setup(b) {
    // One such module per importer: shared by modules that different entry points reach, it would be a
    // chunk (a file) of its own.
    b.onResolve({filter: /^node:/}, (args) =>
      args.kind === 'import-statement'
        ? {namespace: 'builtin', path: args.path, pluginData: args.path, suffix: `?${args.importer}`}
        : undefined,
    )
    b.onLoad({filter: /.*/, namespace: 'builtin'}, ({pluginData: path}) => {
      const names = Object.keys(require(path)).filter((name) => /^[$A-Z_a-z][\w$]*$/.test(name) && name !== 'default')
      const contents = [
        `const m = process.getBuiltinModule(${JSON.stringify(path)})`,
        'export default m',
        // Marked pure so that esbuild drops the ones a chunk does not use (and never touches lazy getters such as process.stdin).
        ...names.map((name) => `export const ${name} = /* @__PURE__ */ (() => m.${name})()`),
      ].join('\n')
      return {contents, loader: 'js'}
    })
  },
}

const pkg = JSON.parse(readFileSync('package.json', 'utf8'))
const shared = {
  bundle: true,
  // Dependencies stay external, but for env-paths: on every command's path, where as a package of
  // its own it would load two more modules and three builtin facades (0.2% of a command, measured).
  external: Object.keys(pkg.dependencies).filter((name) => name !== 'env-paths'),
  format: 'esm',
  legalComments: 'inline',
  logLevel: 'warning',
  metafile: true,
  minify: true,
  platform: 'node',
  target: 'node20',
}

// The hooks' files: every module they need bundled into each, so an opted-out command loads one file
// and a recorded one two (split into shared chunks they were 2 and 6: each file costs ~0.45M
// instructions to load, and each kB of code ~0.2M to parse, measured with callgrind; rules 5 to 7
// apart from recording, as a third file, cost a recorded command more than they saved elsewhere). A lazy import
// of another of them stays a lazy import of that file: a module that holds state (the run being
// recorded) must exist once.
const hookFiles = {
  'src/hooks/index.ts': 'index',
  'src/runtime/first-run.ts': 'first-run',
  'src/runtime/record.ts': 'record',
  'src/sender/lock.ts': 'lock',
  'src/shared-config/yaml-file.ts': 'yaml-file',
}
const lazyHookFiles = {
  name: 'lazy-hook-files',
  setup(b) {
    b.onResolve({filter: /^\./}, (args) => {
      if (args.kind !== 'dynamic-import') return
      // Imports name the .js that tsc would write; the table names the sources (paths from the root).
      const target = hookFiles[relative('.', resolve(args.resolveDir, args.path)).replace(/\.js$/, '.ts')]
      if (!target)
        throw new Error(`${args.importer}: lazily imports ${args.path}, which is not one of the hooks' files`)
      return {external: true, path: `./${target}.js`}
    })
  },
}
const hooks = await build({
  ...shared,
  entryNames: '[name]',
  entryPoints: Object.entries(hookFiles).map(([input, output]) => ({in: input, out: output})),
  outdir: join(outdir, 'hooks'),
  plugins: [lazyHookFiles, builtinsWithoutFacade],
})

// track() finds the run being recorded in the hooks' file, where the init hook left it.
const hooksFromIndex = {
  name: 'hooks-from-index',
  setup(b) {
    b.onResolve({filter: /\/hooks\/index\.js$/}, () => ({external: true, path: './hooks/index.js'}))
  },
}
const commands = readdirSync('src/commands/telemetry').map((file) => join('src/commands/telemetry', file))
await build({
  ...shared,
  chunkNames: 'chunks/[name]-[hash]',
  entryPoints: ['src/index.ts', 'src/sender/main.ts', ...commands],
  outbase: 'src',
  outdir,
  plugins: [hooksFromIndex, builtinsWithoutFacade],
  splitting: true,
})

// Every command loads dist/hooks/index.js: nothing else statically (no chunk, no dependency package).
for (const [file, output] of Object.entries(hooks.metafile.outputs)) {
  const loaded = output.imports.filter((i) => i.kind === 'import-statement')
  if (basename(file) === 'index.js' && loaded.length > 0) {
    throw new Error(`${file} loads ${loaded.map((i) => i.path).join(', ')} on every command: import it lazily`)
  }
}
