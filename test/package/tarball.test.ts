// What a CLI author installs: checked on `npm pack --dry-run` (no registry needed); the install
// footprint itself is measured against the registry by `npm run footprint` (scripts/footprint.js).
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))
const pjson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))

describe('the published package', () => {
  it('runs no script when installed, and needs no dev plugin at run time', () => {
    for (const script of ['preinstall', 'install', 'postinstall', 'prepare'])
      assert.equal(pjson.scripts[script], undefined, `${script} would run on the CLI's users' machines`)
    assert.equal(pjson.dependencies['@oclif/plugin-help'], undefined)
    assert.deepEqual(pjson.oclif.devPlugins, ['@oclif/plugin-help'])
  })

  it('carries the license, the manifest and the built code only', () => {
    const [packed] = JSON.parse(
      execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {cwd: root, encoding: 'utf8'}),
    )
    const files: string[] = packed.files.map((file: {path: string}) => file.path)
    for (const wanted of ['LICENSE', 'README.md', 'package.json', 'oclif.manifest.json', 'bin/run.js'])
      assert.ok(files.includes(wanted), `${wanted} is missing`)
    assert.match(readFileSync(join(root, 'LICENSE'), 'utf8'), /Apache License\s+Version 2\.0, January 2004/)
    const outside = files.filter(
      (file) => !['bin/run.js', 'LICENSE', 'oclif.manifest.json', 'package.json', 'README.md'].includes(file),
    )
    assert.deepEqual(
      outside.filter((file) => !file.startsWith('dist/') || file.endsWith('.tsbuildinfo')),
      [],
      'nothing but dist/ besides',
    )
  })
})
