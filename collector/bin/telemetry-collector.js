#!/usr/bin/env node
// Runs the compiled CLI (dist/) when built; in a source checkout without a build, runs src/ via tsx.
import {existsSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

const dist = new URL('../dist/cli.js', import.meta.url)
let cli
if (existsSync(fileURLToPath(dist))) {
  cli = await import(dist.href)
} else {
  // eslint-disable-next-line n/no-extraneous-import -- only in a source checkout, where the root devDependency tsx is installed
  const {register} = await import('tsx/esm/api')
  register()
  cli = await import(new URL('../src/cli.ts', import.meta.url).href)
}

await cli.main(process.argv.slice(2))
