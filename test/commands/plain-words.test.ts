// What the people who run the tools see in the plain cases of issue 25's second section: the first
// `off`, debug mode beside an opt-out, a refused endpoint, a declined deletion, one JSON casing.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {after, describe, it} from 'node:test'

import {HOST_CLI, initialise, runCli} from '../helpers/cli.js'
import {spawnAndCollect} from '../helpers/process.js'
import {cleanSandboxes, makeSandbox} from '../helpers/sandbox.js'

after(cleanSandboxes)

describe('telemetry off as the very first command', () => {
  it('says telemetry is now off (it was on by default), in text and --json', async () => {
    const text = await runCli(makeSandbox(), ['telemetry', 'off'])
    assert.equal(text.code, 0, text.stderr)
    assert.match(text.stdout, /^Telemetry is now off for every chef tool on this machine\./)
    const json = JSON.parse((await runCli(makeSandbox(), ['telemetry', 'off', '--json'])).stdout)
    assert.deepEqual([json.enabled, json.wasEnabled], [false, true])
  })
})

describe('telemetry on as the very first command', () => {
  it('says it is on, as it was by default, and --json says it was on', async () => {
    const text = await runCli(makeSandbox(), ['telemetry', 'on'])
    assert.equal(text.code, 0, text.stderr)
    assert.match(text.stdout, /^Telemetry is on for every chef tool on this machine \(it was by default; /)
    const json = JSON.parse((await runCli(makeSandbox(), ['telemetry', 'on', '--json'])).stdout)
    assert.deepEqual([json.enabled, json.wasEnabled], [true, true])
  })
})

describe('debug mode beside an opt-out', () => {
  const cases: Array<[string, NodeJS.ProcessEnv, RegExp]> = [
    ['DO_NOT_TRACK', {DO_NOT_TRACK: '1'}, /off \(rule environment\): DO_NOT_TRACK is set in the environment/],
    [
      'CHEF_TELEMETRY_OPT_OUT',
      {CHEF_TELEMETRY_OPT_OUT: 'yes'},
      /off \(rule environment\): CHEF_TELEMETRY_OPT_OUT is set in the environment/,
    ],
  ]
  for (const [name, env, line] of cases) {
    it(`(${name}) says in one stderr line which rule turned telemetry off`, async () => {
      const sandbox = makeSandbox()
      await initialise(sandbox)
      const result = await runCli(sandbox, ['hello'], {env: {...env, CHEF_TELEMETRY_DEBUG: '1'}})
      assert.deepEqual([result.code, result.stdout], [0, 'hello\n'])
      const lines = result.stderr.split('\n').filter(Boolean)
      assert.equal(lines.length, 1, result.stderr)
      assert.match(lines[0], /^\[telemetry\] /)
      assert.match(lines[0], line)
    })
  }

  it('names the opt-out file that won', async () => {
    const sandbox = makeSandbox()
    await initialise(sandbox)
    await runCli(sandbox, ['telemetry', 'off'])
    const result = await runCli(sandbox, ['hello'], {env: {CHEF_TELEMETRY_DEBUG: '1'}})
    assert.match(result.stderr, /^\[telemetry\] off \(rule opt-out-file\): the opt-out file .*telemetry_opt_out exists/)
  })
})

describe('status with a plain-http endpoint', () => {
  it('tells one story: refused, and why, with no "none configured" after it', async () => {
    const sandbox = makeSandbox()
    sandbox.env.CHEF_TELEMETRY_ENDPOINT = 'http://collector.example.com'
    const status = await runCli(sandbox, ['telemetry', 'status'])
    assert.equal(status.code, 0, status.stderr)
    assert.match(
      status.stdout,
      /^Telemetry is off for mycli: the endpoint http:\/\/collector\.example\.com: only https/,
    )
    assert.doesNotMatch(status.stdout, /none configured/)
    assert.match(
      status.stdout,
      /Endpoint: +refused, http:\/\/collector\.example\.com: only https: endpoints are allowed .*\(from environment\)/,
    )
  })
})

describe('declining the interactive delete', () => {
  // A terminal for the question: util-linux `script` runs the command on a pseudo-terminal.
  const hasScript = spawnSync('script', ['--version']).status === 0

  it(
    'is not an error: a plain message, exit 0, nothing deleted',
    {
      skip: hasScript ? false : 'needs util-linux `script` to give the command a terminal',
    },
    async () => {
      const sandbox = makeSandbox()
      await initialise(sandbox)
      const before = readFileSync(sandbox.configFile, 'utf8')

      const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(HOST_CLI)} telemetry delete`
      const result = await spawnAndCollect(
        'sh',
        ['-c', `printf 'n\\n' | script -qec ${shellQuote(command)} /dev/null`],
        {
          cwd: sandbox.root,
          env: sandbox.env,
        },
      )
      const output = result.stdout.replaceAll('\r', '')
      assert.equal(result.code, 0, output)
      assert.match(output, /Delete all usage data of instance [\da-f-]{36} from http:\/\/127\.0\.0\.1:9\? \(y\/N\)/)
      assert.match(output, /Nothing deleted\./)
      assert.doesNotMatch(output, /Error/)
      assert.equal(readFileSync(sandbox.configFile, 'utf8'), before, 'the instance id is kept')
    },
  )
})

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", String.raw`'\''`)}'`
}
