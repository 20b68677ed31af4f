// Bundles the dashboard page (TypeScript + Observable Plot + CSS) into web/dist with esbuild.
// The collector serves web/dist itself: nothing is loaded from a CDN, so the page works offline.
import {build} from 'esbuild'
import {copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {brotliCompressSync, constants, gzipSync} from 'node:zlib'

const here = (path) => fileURLToPath(new URL(path, import.meta.url))
const out = here('./dist/')
rmSync(out, {force: true, recursive: true})
mkdirSync(out, {recursive: true})

await build({
  bundle: true,
  entryPoints: {app: here('./src/main.ts'), login: here('./src/login.ts')},
  format: 'esm',
  legalComments: 'linked',
  logLevel: 'warning',
  minify: true,
  outdir: out,
  sourcemap: false,
  target: ['chrome110', 'firefox110', 'safari16'],
})
await build({
  bundle: true,
  entryPoints: {app: here('./styles.css')},
  logLevel: 'warning',
  minify: true,
  outdir: out,
})
copyFileSync(here('./index.html'), `${out}index.html`)

// Compressed once here; the collector serves them to browsers that accept them (preCompressed).
for (const name of ['app.js', 'app.css', 'login.js']) {
  const body = readFileSync(`${out}${name}`)
  writeFileSync(`${out}${name}.gz`, gzipSync(body, {level: 9}))
  writeFileSync(`${out}${name}.br`, brotliCompressSync(body, {params: {[constants.BROTLI_PARAM_QUALITY]: 11}}))
}
