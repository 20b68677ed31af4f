// What a CLI author installs: checked on `npm pack --dry-run` (no registry needed); the install
// footprint itself is measured against the registry by `npm run footprint` (scripts/footprint.js).
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {fileURLToPath} from 'node:url'

import {SUPPORTED_NODE, unsupportedNodeMessage} from '../../src/unsupported-node.js'

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

describe('the package on the npm page', () => {
  it('names its repository, home page and issue tracker', () => {
    assert.match(pjson.repository.url, /^git\+https:\/\/github\.com\/[\w.-]+\/[\w.-]+\.git$/)
    const web = pjson.repository.url.replace(/^git\+/, '').replace(/\.git$/, '')
    assert.equal(pjson.homepage, `${web}#readme`)
    assert.equal(pjson.bugs.url, `${web}/issues`)
  })

  it('has a README whose links all open from the npm page (none to a file the tarball lacks)', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8')
    const targets = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1])
    assert.ok(targets.length > 5, 'the README has no links')
    const relative = targets.filter((target) => !/^(https?:|mailto:|#)/.test(target))
    assert.deepEqual(relative, [], 'relative links open nothing on npmjs.com: link to the repository')
    const web = pjson.repository.url.replace(/^git\+/, '').replace(/\.git$/, '')
    for (const target of targets.filter((t) => t.startsWith(`${web}/blob/main/`))) {
      const file = target.slice(`${web}/blob/main/`.length).replace(/#.*$/, '')
      assert.ok(existsSync(join(root, file)), `the README links to ${file}, which is not in the repository`)
    }
  })

  it('keeps the benchmark notes out of the README, in bench/README.md', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8')
    assert.ok(readme.length < 20_000, `the README is ${readme.length} characters`)
    assert.match(readFileSync(join(root, 'bench', 'README.md'), 'utf8'), /^# Benchmarks\n/)
  })
})

describe('what hosts import', () => {
  it('exports track() to ES module hosts (import) and CommonJS hosts (require), each with its types', () => {
    assert.deepEqual(pjson.exports['.'], {
      import: {default: './dist/index.js', types: './dist/index.d.ts'},
      require: {default: './dist/index.cjs', types: './dist/index.d.cts'},
    })
  })

  it('says in its messages the Node.js versions that engines claims', () => {
    assert.equal(pjson.engines.node, SUPPORTED_NODE.engines)
    assert.match(
      unsupportedNodeMessage('21.7.3'),
      /needs Node\.js 20\.16 or a later 20\.x, or 22\.3 or later, and this is Node\.js 21\.7\.3/,
    )
  })
})
