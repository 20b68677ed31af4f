#!/usr/bin/env node
// npm run footprint: what adding the plugin costs a CLI's users on disk. Packs the plugin as it
// would be published, installs it into a bare @oclif/core 4 CLI in a temporary folder (from the
// npm registry), and compares the packages and megabytes it adds with the figure the README states.
// Exit 1 when the tarball carries what it must not, npm warns about the plugin, or the footprint grew.
//   node scripts/footprint.js          measure and check
//   node scripts/footprint.js --json   the same, as JSON on stdout
import {execFileSync} from 'node:child_process'
import {lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
/** The README states the figure in this form; it is the limit checked here. */
export const STATED = /Install footprint: \+(\d+) packages, \+([\d.]+) MB/

// npm as a user runs it, not as `npm run` configures it for this repository.
const env = {...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false'}
for (const key of Object.keys(env))
  if (/^npm_(package|lifecycle|config_(workspace|local_prefix|prefix))/i.test(key)) delete env[key]

function npm(args, cwd) {
  // stderr is where npm warns: kept, to be read.
  return execFileSync('npm', args, {cwd, encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe']})
}

function npmWithWarnings(args, cwd) {
  const out = execFileSync('sh', ['-c', `npm ${args.map((a) => `'${a}'`).join(' ')} 2>&1`], {
    cwd,
    encoding: 'utf8',
    env,
  })
  return {out, warnings: out.split('\n').filter((line) => /^npm (warn|WARN|error)/.test(line))}
}

/** Packages installed, as npm's own record of the tree lists them, and the bytes of their files. */
function measure(cli) {
  const lock = JSON.parse(readFileSync(join(cli, 'node_modules', '.package-lock.json'), 'utf8'))
  const packages = Object.keys(lock.packages).filter((path) => path.includes('node_modules/')).length
  return {bytes: bytesUnder(join(cli, 'node_modules')), packages}
}

function bytesUnder(dir) {
  let total = 0
  for (const entry of readdirSync(dir, {withFileTypes: true})) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) total += bytesUnder(path)
    else if (entry.isFile()) total += lstatSync(path).size
  }

  return total
}

export function footprint() {
  const work = mkdtempSync(join(tmpdir(), 'telemetry-footprint-'))
  try {
    // `prepack` builds first and prints to stdout too: the JSON is the array that ends the output.
    const output = npm(['pack', '--json', '--pack-destination', work], root)
    const [packed] = JSON.parse(output.slice(output.search(/^\[/m)))
    const files = packed.files.map((f) => f.path)
    const cli = join(work, 'cli')
    mkdirSync(cli)
    writeFileSync(
      join(cli, 'package.json'),
      JSON.stringify({dependencies: {'@oclif/core': '^4'}, name: 'bare-cli', private: true, type: 'module'}),
    )
    npm(['install', '--no-audit', '--no-fund'], cli)
    const bare = measure(cli)
    const install = npmWithWarnings(['install', '--no-audit', '--no-fund', join(work, packed.filename)], cli)
    const withPlugin = measure(cli)
    return {
      addedMB: Math.round(((withPlugin.bytes - bare.bytes) / 1e6) * 10) / 10,
      addedPackages: withPlugin.packages - bare.packages,
      bare,
      files,
      tarball: {bytes: packed.size, unpackedBytes: packed.unpackedSize},
      warnings: install.warnings,
      withPlugin,
    }
  } finally {
    rmSync(work, {force: true, recursive: true})
  }
}

function main() {
  const result = footprint()
  const readme = readFileSync(join(root, 'README.md'), 'utf8')
  const stated = STATED.exec(readme)
  const problems = []
  if (stated) {
    if (result.addedPackages > Number(stated[1]))
      problems.push(`the plugin adds ${result.addedPackages} packages, more than the ${stated[1]} the README states`)
    if (result.addedMB > Number(stated[2]))
      problems.push(`the plugin adds ${result.addedMB} MB, more than the ${stated[2]} MB the README states`)
  } else {
    problems.push('the README states no install footprint ("Install footprint: +N packages, +X MB")')
  }

  for (const unwanted of ['bin/dev.js', 'src/', 'test/', 'collector/', 'bench/', 'scripts/'])
    if (result.files.some((file) => file.startsWith(unwanted))) problems.push(`the tarball carries ${unwanted}`)
  if (!result.files.includes('LICENSE')) problems.push('the tarball carries no LICENSE')
  if (!result.files.includes('oclif.manifest.json')) problems.push('the tarball carries no oclif.manifest.json')
  for (const warning of result.warnings) problems.push(`npm says: ${warning}`)

  if (process.argv.includes('--json')) console.log(JSON.stringify({...result, problems}, null, 2))
  else {
    console.log(
      `Tarball: ${result.files.length} files, ${result.tarball.bytes} bytes (${result.tarball.unpackedBytes} unpacked)`,
    )
    console.log(
      `A bare @oclif/core 4 CLI: ${result.bare.packages} packages, ${(result.bare.bytes / 1e6).toFixed(1)} MB`,
    )
    console.log(`With the plugin: +${result.addedPackages} packages, +${result.addedMB} MB`)
    console.log(stated ? `The README states: +${stated[1]} packages, +${stated[2]} MB` : '')
    for (const problem of problems) console.error(`PROBLEM: ${problem}`)
  }

  if (problems.length > 0) process.exitCode = 1
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main()
