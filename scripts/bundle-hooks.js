// Every command of the host CLI loads both hooks, so the hot path is bundled: as a dozen small
// modules it cost ~1% of a command in module loading alone (measured with bench/overhead).
//   dist/hooks/index.js             both hooks, what every command runs: tiny, decide or leave at once
//   dist/hooks/first-run.js         imported by the init hook only on a first run (rule 7 of docs/decision.md)
//   dist/hooks/record.js            imported by the finally hook only when a command is to be recorded
// What only a first run or a change of the config needs stays out of the bundles and is imported
// lazily from tsc's output: the shared config module with yaml and uuid; so do ci-info and crypto.
import {build} from 'esbuild'
import {rmSync} from 'node:fs'
import {createRequire} from 'node:module'
import {resolve} from 'node:path'

// An `import` of a Node builtin in an ES module builds a facade of all its exports when loaded:
// 0.1-0.2% of a command each (measured with bench/overhead), for every command. In the bundles,
// builtins are taken with process.getBuiltinModule instead (Node 20.16+), which returns the very
// object that `require` would, with no facade.
const require = createRequire(import.meta.url)
const builtinsWithoutFacade = {
  name: 'builtins-without-facade',
  setup(b) {
    b.onResolve({filter: /^node:/}, (args) =>
      args.kind === 'import-statement' ? {namespace: 'builtin', path: args.path} : undefined,
    )
    b.onLoad({filter: /.*/, namespace: 'builtin'}, ({path}) => {
      const names = Object.keys(require(path)).filter((name) => /^[$A-Z_a-z][\w$]*$/.test(name) && name !== 'default')
      const contents = [
        `const m = process.getBuiltinModule(${JSON.stringify(path)})`,
        'export default m',
        // Marked pure so that esbuild drops the ones a bundle does not use (and never touches lazy getters such as process.stdin).
        ...names.map((name) => `export const ${name} = /* @__PURE__ */ (() => m.${name})()`),
      ].join('\n')
      return {contents, loader: 'js'}
    })
  },
}

const lazy = {
  [resolve('src/runtime/first-run.ts')]: './first-run.js',
  [resolve('src/runtime/record.ts')]: './record.js',
  [resolve('src/shared-config/yaml-file.ts')]: '../shared-config/yaml-file.js',
}
const keepLazyModulesOut = {
  name: 'keep-lazy-modules-out',
  setup(b) {
    b.onResolve({filter: /\.js$/}, (args) => {
      const target = lazy[resolve(args.resolveDir, args.path).replace(/\.js$/, '.ts')]
      return target && args.kind === 'dynamic-import' ? {external: true, path: target} : undefined
    })
  },
}

rmSync('dist/hooks', {force: true, recursive: true})
for (const [entry, out] of [
  ['src/hooks/index.ts', 'index'],
  ['src/runtime/first-run.ts', 'first-run'],
  ['src/runtime/record.ts', 'record'],
]) {
  // eslint-disable-next-line no-await-in-loop -- four small builds, one after another
  await build({
    bundle: true,
    entryPoints: [entry],
    external: ['yaml', 'uuid', 'ci-info', '@oclif/core'],
    format: 'esm',
    legalComments: 'inline',
    logLevel: 'warning',
    minify: true,
    outfile: `dist/hooks/${out}.js`,
    platform: 'node',
    plugins: [keepLazyModulesOut, builtinsWithoutFacade],
    target: 'node20',
  })
}
