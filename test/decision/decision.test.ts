// The rules of docs/decision.md, in order, against real files in a temporary home.
import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, it} from 'node:test'

import {decide, type DecisionInput, maySend, turnedOff} from '../../src/decision.js'
import {telemetryPaths} from '../../src/paths.js'
import {readSettings} from '../../src/settings.js'

const ID = '6f1c7a52-3f0e-4a56-9d3b-6f7e2f4f8a11'
let dir: string
let home: string
let previousHome: string | undefined

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'decision-'))
  home = join(dir, 'home')
  mkdirSync(home)
  previousHome = process.env.HOME
  // os.homedir() reads HOME: rule 3's file is looked for here.
  process.env.HOME = home
})

afterEach(() => {
  process.env.HOME = previousHome
  rmSync(dir, {force: true, recursive: true})
})

function input(overrides: {cwd?: string; endpoint?: string; env?: NodeJS.ProcessEnv} = {}): DecisionInput {
  const env = {
    CHEF_TELEMETRY_CACHE_DIR: join(dir, 'cache'),
    CHEF_TELEMETRY_CONFIG_DIR: join(dir, 'config'),
    ...overrides.env,
  }
  const endpoint = 'endpoint' in overrides ? overrides.endpoint : 'https://telemetry.example.com'
  const settings = readSettings(
    {bin: 'mycli', name: 'mycli', pjson: {oclif: {telemetry: {endpoint}}}, root: dir, version: '1.0.0'},
    env,
  )
  return {
    cwd: 'cwd' in overrides ? overrides.cwd : dir,
    env,
    family: settings,
    paths: () => telemetryPaths(settings.namespace, settings.envPrefix, env),
    settings: () => settings,
  }
}

function writeConfig(text: string): void {
  mkdirSync(join(dir, 'config'), {recursive: true})
  writeFileSync(join(dir, 'config', 'telemetry.yml'), text)
}

function optOutFileIn(parent: string): void {
  mkdirSync(join(parent, '.chef'), {recursive: true})
  writeFileSync(join(parent, '.chef', 'telemetry_opt_out'), '')
}

const never = (): never => {
  throw new Error('rules 1 to 4 must decide without settings or paths')
}

describe('the decision, first rule that applies wins', () => {
  it('1. DO_NOT_TRACK, unless empty, 0 or false, before everything else', async () => {
    writeConfig(`instance_id: ${ID}\nenabled: true\n`)
    optOutFileIn(home)
    for (const value of ['1', 'true', 'yes']) {
      const decision = await decide({...input({env: {DO_NOT_TRACK: value}}), paths: never, settings: never})
      assert.deepEqual(
        [decision.enabled, decision.rule, decision.reason],
        [false, 'environment', 'DO_NOT_TRACK is set in the environment'],
      )
    }

    for (const value of ['', '0', 'false', ' FALSE ']) {
      const decision = await decide(input({env: {DO_NOT_TRACK: value}}))
      assert.equal(decision.rule, 'opt-out-file', `DO_NOT_TRACK=${JSON.stringify(value)}`)
    }
  })

  it('2. <NS>_TELEMETRY_OPT_OUT with any non-empty value', async () => {
    const decision = await decide({...input({env: {CHEF_TELEMETRY_OPT_OUT: '0'}}), paths: never, settings: never})
    assert.deepEqual(
      [decision.enabled, decision.rule, decision.reason],
      [false, 'environment', 'CHEF_TELEMETRY_OPT_OUT is set in the environment'],
    )
    assert.equal((await decide(input({env: {CHEF_TELEMETRY_OPT_OUT: ''}}))).rule, 'first-run')
  })

  it('3. the opt-out file in the home directory, before a repository one', async () => {
    optOutFileIn(home)
    optOutFileIn(dir)
    const decision = await decide({...input(), paths: never, settings: never})
    assert.equal(decision.rule, 'opt-out-file')
    assert.equal(decision.reason, `the opt-out file ${join(home, '.chef', 'telemetry_opt_out')} exists`)
    assert.ok(turnedOff(decision))
  })

  it('4. an opt-out file in the working directory or any directory above it; none without a directory', async () => {
    const deep = join(dir, 'repo', 'src', 'deep')
    mkdirSync(deep, {recursive: true})
    optOutFileIn(join(dir, 'repo'))
    const decision = await decide({...input({cwd: deep}), paths: never, settings: never})
    assert.equal(decision.rule, 'repository-opt-out-file')
    assert.match(decision.reason, /repo\/\.chef\/telemetry_opt_out applies to this directory$/)
    assert.ok(!turnedOff(decision), 'a repository opts out who works there, not the machine')
    // The background sender has no working directory of its own.
    assert.equal((await decide(input({cwd: undefined}))).rule, 'first-run')
  })

  it('5. no endpoint, or a refused one, unless debug mode prints events instead', async () => {
    writeConfig(`instance_id: ${ID}\nenabled: true\n`)
    const none = await decide(input({endpoint: undefined}))
    assert.deepEqual([none.enabled, none.rule], [false, 'no-endpoint'])
    assert.match(none.reason, /no endpoint is configured for mycli/)
    const plain = await decide(input({endpoint: 'http://telemetry.example.com'}))
    assert.deepEqual([plain.rule, plain.enabled], ['no-endpoint', false])
    assert.match(plain.reason, /only https: endpoints are allowed/)
    const debug = await decide(input({endpoint: undefined, env: {CHEF_TELEMETRY_DEBUG: '1'}}))
    assert.deepEqual([debug.enabled, debug.rule], [true, 'config'])
  })

  it('6. a config that cannot be used is off, and says how to fix it', async () => {
    for (const [text, why] of [
      ['', 'the file is empty'],
      ['enabled: [', 'it is not valid YAML'],
      [`instance_id: ${ID}\nenabled: maybe\n`, '`enabled` must be true or false'],
      ['instance_id: 42\nenabled: true\n', '`instance_id` is missing or not a UUID'],
    ]) {
      writeConfig(text)
      const decision = await decide(input())
      assert.deepEqual(
        [decision.enabled, decision.rule, decision.sharedConfig.kind],
        [false, 'config-invalid', 'invalid'],
      )
      assert.ok(decision.reason.includes(why), decision.reason)
      assert.match(decision.reason, /Run "mycli telemetry on" or "mycli telemetry off" to rewrite it$/)
      assert.ok(!turnedOff(decision), 'events are kept until the user decides')
    }
  })

  it('6. enabled: false is off; 7. enabled: true is on, with the instance id to send under', async () => {
    writeConfig(`# mine\ninstance_id: ${ID.toUpperCase()}\nenabled: false\n`)
    const off = await decide(input())
    assert.deepEqual([off.enabled, off.rule, off.reason], [false, 'config', 'the shared config says enabled: false'])
    assert.ok(turnedOff(off))
    assert.ok(!maySend(off))
    writeConfig(`instance_id: ${ID}\nenabled: true\n`)
    const on = await decide(input())
    assert.deepEqual(
      [on.enabled, on.rule, on.sharedConfig],
      [true, 'config', {enabled: true, instanceId: ID, kind: 'ok'}],
    )
    assert.ok(maySend(on))
  })

  it('7. no config yet: a first run, on, but nothing may be sent under it', async () => {
    const decision = await decide(input())
    assert.deepEqual([decision.enabled, decision.rule, decision.sharedConfig.kind], [true, 'first-run', 'missing'])
    assert.ok(!maySend(decision))
  })
})
