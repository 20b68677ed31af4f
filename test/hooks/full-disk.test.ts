// A full cache disk: commands run on as ever, but the events they could not keep are not lost without
// a trace: `status` says so. A tmpfs of 64 KiB stands in for the full disk (mounting needs root).
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {closeSync, mkdirSync, mkdtempSync, openSync, rmdirSync, writeFileSync, writeSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import {flat, initialise, runCli} from '../helpers/cli.js'
import {cleanSandboxes, makeSandbox, queuedMessages} from '../helpers/sandbox.js'

const mount = (dir: string) => spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], {encoding: 'utf8'})
const umount = (dir: string) => spawnSync('umount', [dir])

/** Why a tmpfs cannot be mounted here (not root, a container without the capability), or undefined. */
function cannotMount(): string | undefined {
  const probe = mkdtempSync(join(tmpdir(), 'telemetry-tmpfs-probe-'))
  try {
    const result = mount(probe)
    if (result.status !== 0)
      return `mounting a tmpfs is not permitted here: ${(result.stderr || result.error?.message) ?? ''}`.trim()
    umount(probe)
    return undefined
  } finally {
    rmdirSync(probe)
  }
}

const mounted: string[] = []
after(() => {
  for (const dir of mounted) umount(dir)
  cleanSandboxes()
})

/** Writes until the file system refuses another byte. */
function fill(dir: string): void {
  const fd = openSync(join(dir, 'filler'), 'w')
  try {
    for (;;) writeSync(fd, Buffer.alloc(4096))
  } catch (error) {
    assert.equal((error as NodeJS.ErrnoException).code, 'ENOSPC')
  } finally {
    closeSync(fd)
  }
}

describe('a full cache disk', () => {
  const reason = cannotMount()

  it(
    'commands exit as ever; status says how many events could not be kept, and why',
    {skip: reason ?? false},
    async () => {
      const sandbox = makeSandbox()
      const cache = join(sandbox.root, 'cache')
      assert.equal(mount(cache).status, 0)
      mounted.push(cache)
      // The sandbox's "a sender ran a moment ago" is under the mount now: again, so that none starts.
      mkdirSync(sandbox.cacheDir, {recursive: true})
      writeFileSync(
        join(sandbox.cacheDir, 'schedule.json'),
        JSON.stringify({lastAttempt: new Date(Date.now() + 3_600_000).toISOString()}),
      )
      await initialise(sandbox)
      await runCli(sandbox, ['hello'])
      assert.equal(queuedMessages(sandbox).length, 1, 'kept while there was room')
      fill(cache)
      for (let i = 0; i < 20; i++) {
        const result = await runCli(sandbox, ['hello'])
        assert.deepEqual([result.code, result.stdout, result.stderr], [0, 'hello\n', ''])
      }

      // The page the queue's file already has may take a few more lines; every other event is counted.
      const json = JSON.parse((await runCli(sandbox, ['telemetry', 'status', '--json'])).stdout)
      assert.deepEqual([json.unkept.code, json.unkept.description], ['ENOSPC', 'the disk is full'])
      assert.equal(json.queued + json.unkept.count, 21, 'each event is either waiting or counted as not kept')
      assert.ok(json.unkept.count >= 10, `${json.unkept.count} not kept`)
      const status = await runCli(sandbox, ['telemetry', 'status'])
      assert.equal(status.code, 0, status.stderr)
      assert.match(
        status.stdout,
        new RegExp(
          `Not kept: +${json.unkept.count} event\\(s\\) could not be written to the queue \\(the disk is full\\), the last at \\d{4}-`,
        ),
      )
      assert.match(
        flat(status.stderr),
        /The disk holding .*telemetry is full \(\d+ bytes free\): events cannot be kept\./,
      )
      assert.ok(json.warnings.some((w: string) => /is full/.test(w)))
    },
  )
})
