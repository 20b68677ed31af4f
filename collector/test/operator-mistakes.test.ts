/** What a careless operator can get wrong, through the real CLI in child processes. */
import assert from 'node:assert/strict'
import {randomUUID} from 'node:crypto'
import {chownSync, existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import {runCli, startCollector} from './support/child.js'
import {send} from './support/http.js'

const dir = mkdtempSync(join(tmpdir(), 'collector-operator-'))
after(() => rmSync(dir, {force: true, recursive: true}))
const TOKEN = 'operator-admin-token-0123456789abcdef'
const isRoot = process.getuid?.() === 0

describe('operator mistakes', () => {
  it('an empty or in-memory store setting refuses to start, saying why', async () => {
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [[], {COLLECTOR_STORE: ''}, /COLLECTOR_STORE is empty/],
      [['--store', ''], {}, /--store is empty/],
      [['--store', '   '], {}, /--store is empty/],
      [['--store', ':memory:'], {}, /":memory:" is not a store file/],
      [[], {COLLECTOR_STORE: ':memory:'}, /COLLECTOR_STORE ":memory:" is not a store file/],
      [['--store', 'file::memory:?cache=shared'], {}, /is not a store file/],
    ]
    for (const [args, env, message] of cases) {
      const result = await runCli(['serve', '--port', '0', ...args], env)
      assert.equal(result.code, 1, `${args.join(' ')} ${JSON.stringify(env)}: ${result.stdout}`)
      assert.match(result.stderr, message)
      assert.equal(result.stdout.includes('listening'), false)
    }
  })

  it('an admin token shorter than 32 characters refuses to start, creating nothing', async () => {
    const file = join(dir, 'weak.db')
    for (const token of ['x', 'a'.repeat(31)]) {
      const result = await runCli(['serve', '--port', '0', '--store', file], {COLLECTOR_ADMIN_TOKEN: token})
      assert.equal(result.code, 1)
      assert.match(
        result.stderr,
        new RegExp(`COLLECTOR_ADMIN_TOKEN is ${token.length} characters long: use at least 32`),
      )
      assert.equal(result.stderr.includes(token.length > 1 ? token : '"x"'), false, 'the token is not printed')
    }

    assert.equal(existsSync(file), false)
  })

  it('purge gives a clear error for an absurd retention period', async () => {
    // Refused before any request: no collector needs to run.
    const result = await runCli(['purge', '--url', 'http://127.0.0.1:9', '--older-than', '99999999999d'])
    assert.equal(result.code, 1)
    assert.match(result.stderr, /duration 99999999999d reaches back before the year 2000/)
    assert.equal(result.stderr.includes('Invalid time value'), false)
  })

  it('every subcommand answers --help', async () => {
    for (const command of ['serve', 'report', 'purge', 'rebuild']) {
      for (const flag of ['--help', '-h']) {
        const result = await runCli([command, flag])
        assert.equal(result.code, 0, `${command} ${flag}: ${result.stderr}`)
        assert.match(result.stdout, /Usage: telemetry-collector/)
        assert.match(result.stdout, new RegExp(`\\n  ${command} `))
      }
    }
  })

  it('rate limits come from flags or the environment; a bad one refuses to start', async () => {
    const fromFlag = await startCollector(['--store', join(dir, 'limits.db'), '--rate-limit-deletions', '2/1m'])
    const fromEnv = await startCollector(['--store', join(dir, 'limits2.db')], {COLLECTOR_RATE_LIMIT_DELETIONS: '1/1m'})
    try {
      const statuses = async (url: string, count: number) => {
        const out: number[] = []
        for (let i = 0; i < count; i++) {
          out.push((await send(`${url}/instances/${randomUUID()}`, {method: 'DELETE'})).status)
        }

        return out
      }

      assert.deepEqual(await statuses(fromFlag.url, 3), [202, 202, 429])
      assert.deepEqual(await statuses(fromEnv.url, 2), [202, 429])
    } finally {
      for (const c of [fromFlag, fromEnv]) {
        c.child.kill('SIGTERM')
        await c.exited
      }
    }

    const bad = await runCli(['serve', '--port', '0', '--store', join(dir, 'x.db'), '--rate-limit-auth', '10'])
    assert.equal(bad.code, 1)
    assert.match(bad.stderr, /--rate-limit-auth: invalid rate limit "10"/)
  })

  it('warns when running as root, and not as an unprivileged user', {skip: !isRoot && 'needs root'}, async () => {
    const asRoot = await startCollector(['--store', join(dir, 'root.db')], {COLLECTOR_ADMIN_TOKEN: TOKEN})
    asRoot.child.kill('SIGTERM')
    await asRoot.exited
    assert.match(asRoot.stderr(), /"level":40,.*"msg":"running as root/)

    const home = mkdtempSync(join(tmpdir(), 'collector-nobody-'))
    chownSync(home, 65_534, 65_534)
    try {
      const asNobody = await startCollector(
        ['--store', join(home, 'nobody.db')],
        {COLLECTOR_ADMIN_TOKEN: TOKEN},
        {gid: 65_534, uid: 65_534},
      )
      asNobody.child.kill('SIGTERM')
      await asNobody.exited
      assert.match(asNobody.stderr(), /Server listening/)
      assert.equal(asNobody.stderr().includes('running as root'), false)
    } finally {
      rmSync(home, {force: true, recursive: true})
    }
  })
})
