// Every command of the host CLI loads both hooks, so the hot path is bundled: as a dozen small
// modules it cost ~1% of a command in module loading alone (measured with bench/overhead).
//   dist/hooks/index.js             both hooks, what every command runs: tiny, decide or leave at once
//   dist/hooks/start.js, record.js  imported by them only when a command is to be recorded
// What only a first run or a change of the config needs stays out of the bundles and is imported
// lazily from tsc's output: the shared config module with yaml and uuid; so do ci-info and crypto.
import {build} from 'esbuild'
import {rmSync} from 'node:fs'
import {resolve} from 'node:path'

const lazy = {
  [resolve('src/config/shared-config.ts')]: '../config/shared-config.js',
  [resolve('src/runtime/record.ts')]: './record.js',
  [resolve('src/runtime/start.ts')]: './start.js',
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
  ['src/runtime/start.ts', 'start'],
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
    outfile: `dist/hooks/${out}.js`,
    platform: 'node',
    plugins: [keepLazyModulesOut],
    target: 'node20',
  })
}
