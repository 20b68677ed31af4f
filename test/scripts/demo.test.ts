// `npm run demo` as someone evaluating the plugin runs it: it must end by itself, leave nothing
// behind, and clean up when stopped with Ctrl-C (SIGINT) halfway.
import assert from 'node:assert/strict'
import {mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {fileURLToPath} from 'node:url'

import {start, type Started} from '../helpers/process.js'

const DEMO = fileURLToPath(new URL('../../scripts/demo.js', import.meta.url))
const dirs: string[] = []
after(() => {
  for (const dir of dirs) rmSync(dir, {force: true, recursive: true})
})

function startDemo(): Started & {tmp: string} {
  // A private TMPDIR: whatever the demo leaves behind shows up here.
  const tmp = mkdtempSync(join(tmpdir(), 'demo-test-'))
  dirs.push(tmp)
  const env: NodeJS.ProcessEnv = {...process.env, TMPDIR: tmp}
  for (const name of ['DO_NOT_TRACK', 'CHEF_TELEMETRY_OPT_OUT', 'CHEF_TELEMETRY_DEBUG']) delete env[name]
  return {...start(process.execPath, [DEMO], {env, timeoutMs: 60_000}), tmp}
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
  } catch {
    return []
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('npm run demo', () => {
  it('ends by itself with exit code 0, shows what matters, and leaves no temporary folder', async () => {
    const demo = startDemo()
    const {code, stderr, stdout} = await demo.done
    const output = demo.output()
    assert.equal(code, 0, stdout + stderr)
    assert.deepEqual(readdirSync(demo.tmp), [], 'the temporary folder is removed')
    assert.doesNotMatch(output, /^\{"/m, 'no raw JSON log line')
    assert.match(output, /"password"/, 'the flag name is shown')
    assert.doesNotMatch(output.split('recorded; its value')[0].split('CHEF_TELEMETRY_DEBUG=1 mycli')[1], /hunter2"/)
    assert.match(output, /its value appears nowhere: checked/)
    assert.match(output, /No event printed: nothing was recorded/)
    assert.match(
      output,
      /Receipt: deletion id [\da-f-]{36}; check it at any time: GET http:\/\/127\.0\.0\.1:\d+\/deletions\//,
    )
    assert.match(output, /\(none\) .*--version` \(outcome version\)/)
    assert.doesNotMatch(output, /FAILED/)
  })

  it('stopped with SIGINT halfway: the collector is stopped and the temporary folder removed', async () => {
    const demo = startDemo()
    // Halfway: once the collector runs and the first commands have run.
    while (!demo.output().includes('2. What one event holds')) {
      assert.equal(demo.child.exitCode, null, demo.output())
      await new Promise((resolve) => {
        setTimeout(resolve, 50)
      })
    }

    const children = childrenOf(demo.child.pid!)
    assert.ok(children.length > 0, 'the collector runs as a child of the demo')
    demo.child.kill('SIGINT')
    const {code} = await demo.done
    const output = demo.output()
    assert.equal(code, 130, output)
    assert.match(output, /Stopped \(SIGINT\)/)
    assert.deepEqual(readdirSync(demo.tmp), [], 'the temporary folder is removed')
    for (const pid of children) assert.equal(alive(pid), false, `child ${pid} still runs`)
  })
})
