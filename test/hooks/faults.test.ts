import assert from 'node:assert/strict'
import {
  chmodSync,
  chownSync,
  closeSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {after, describe, it} from 'node:test'

import {flat, HOST_CLI, initialise, runCli} from '../helpers/cli.js'
import {debugEvents, start} from '../helpers/process.js'
import {
  allFiles,
  cleanSandboxes,
  giveToNobody,
  isRoot,
  makeSandbox,
  modeOf,
  NOBODY,
  queuedMessages,
  type Sandbox,
} from '../helpers/sandbox.js'
import {StubCollector} from '../helpers/stub-collector.js'

after(cleanSandboxes)

/** Node's warnings carry the process id. */
const pid = (text: string) => text.replaceAll(/\(node:\d+\)/g, '(node:PID)')

/** The command behaves exactly as without telemetry: its output, its exit code, and not a word more. */
async function assertUntouched(sandbox: Sandbox, options: Parameters<typeof runCli>[2] = {}) {
  const result = await runCli(sandbox, ['hello'], options)
  const bareHello = await runCli(sandbox, ['hello'], {...options, bare: true})
  assert.deepEqual([result.code, result.stdout, pid(result.stderr)], [0, 'hello\n', pid(bareHello.stderr)])
  const failing = await runCli(sandbox, ['fail'], options)
  const bare = await runCli(sandbox, ['fail'], {...options, bare: true})
  assert.deepEqual([failing.code, failing.stdout, pid(failing.stderr)], [bare.code, bare.stdout, pid(bare.stderr)])
}

/** Nine aliases of nine aliases, five levels deep, beside valid settings. */
function aliasBomb(): string {
  const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x]']
  for (let i = 1; i <= 5; i++) lines.push(`a${i}: &a${i} [${Array.from({length: 9}, () => `*a${i - 1}`).join(', ')}]`)
  return [...lines, 'instance_id: 0b0b0b0b-1c1c-4d4d-8e8e-0f0f0f0f0f0f', 'enabled: true', ''].join('\n')
}

describe('a shared config that cannot be used', () => {
  const cases: Array<[string, (file: string) => void, RegExp]> = [
    ['empty', (file) => writeFileSync(file, ''), /the file is empty/],
    ['not YAML', (file) => writeFileSync(file, 'instance_id: [unclosed\n\t- :\n'), /not valid YAML/],
    ['a list', (file) => writeFileSync(file, '- 1\n- 2\n'), /expected a mapping/],
    ['without a UUID', (file) => writeFileSync(file, 'instance_id: hello\nenabled: true\n'), /not a UUID/],
    [
      'with enabled not a boolean',
      (file) => writeFileSync(file, 'instance_id: 0b0b0b0b-1c1c-4d4d-8e8e-0f0f0f0f0f0f\nenabled: "yes"\n'),
      /must be true or false/,
    ],
    [
      'with duplicate keys',
      (file) =>
        writeFileSync(file, 'instance_id: 0b0b0b0b-1c1c-4d4d-8e8e-0f0f0f0f0f0f\nenabled: true\nenabled: false\n'),
      /not valid YAML/,
    ],
    ['a directory', (file) => mkdirSync(file), /is a directory/],
    ['with YAML aliases (a billion laughs)', (file) => writeFileSync(file, aliasBomb()), /YAML aliases/],
  ]
  for (const [name, make, reason] of cases) {
    it(`(${name}) turns telemetry off, is never overwritten, and status says how to fix it`, async () => {
      const sandbox = makeSandbox()
      mkdirSync(sandbox.configDir, {recursive: true})
      make(sandbox.configFile)
      const before = name === 'a directory' ? '' : readFileSync(sandbox.configFile, 'utf8')
      await assertUntouched(sandbox)
      await assertUntouched(sandbox) // the second run takes the cached (snapshot) path
      if (name !== 'a directory') assert.equal(readFileSync(sandbox.configFile, 'utf8'), before)
      assert.deepEqual(queuedMessages(sandbox), [])
      const status = JSON.parse((await runCli(sandbox, ['telemetry', 'status', '--json'])).stdout)
      assert.equal(status.enabled, false)
      assert.equal(status.rule, 'config-invalid')
      assert.match(status.reason, reason)
      assert.match(status.reason, /Run "mycli telemetry on" or "mycli telemetry off" to rewrite it/)
      const text = await runCli(sandbox, ['telemetry', 'status'])
      assert.match(text.stdout, /Instance id: +\(unknown: the config cannot be used\)/)
    })
  }

  it('`on` rewrites a config full of YAML aliases, as it does any config it cannot use', async () => {
    const sandbox = makeSandbox()
    mkdirSync(sandbox.configDir, {recursive: true})
    writeFileSync(sandbox.configFile, aliasBomb())
    const on = await runCli(sandbox, ['telemetry', 'on'])
    assert.equal(on.code, 0, on.stderr)
    const status = JSON.parse((await runCli(sandbox, ['telemetry', 'status', '--json'])).stdout)
    assert.deepEqual([status.enabled, status.rule], [true, 'config'])
  })
})

describe('damaged state files', () => {
  it('a damaged deletions file: status and flush run, and no request is made of a damaged entry', async () => {
    const sandbox = makeSandbox()
    await initialise(sandbox)
    const pending = [1, null, {instanceId: '../../x?y', requestedAt: 'now'}]
    writeFileSync(join(sandbox.cacheDir, 'deletions.json'), JSON.stringify({pending, retired: 'x'}))
    const status = await runCli(sandbox, ['telemetry', 'status', '--json'])
    assert.equal(status.code, 0, status.stderr)
    assert.deepEqual(JSON.parse(status.stdout).pendingDeletions, [])
    const flush = await runCli(sandbox, ['telemetry', 'flush'])
    assert.doesNotMatch(flush.stderr, /TypeError|\n\s+at /)
  })
})

describe('a home that is empty or relative', () => {
  it('an empty HOME: commands run as before and nothing is written where they run; status says why', async () => {
    const sandbox = makeSandbox()
    const env = {HOME: '', XDG_CACHE_HOME: '', XDG_CONFIG_HOME: ''}
    await assertUntouched(sandbox, {env})
    assert.deepEqual(
      readdirSync(sandbox.root).sort(),
      ['cache', 'home'],
      'no .config or .cache in the working directory',
    )
    const status = await runCli(sandbox, ['telemetry', 'status'], {env})
    assert.equal(status.code, 1)
    assert.match(
      status.stderr.replaceAll(/\s+/g, ' '),
      /there is no home directory to keep telemetry settings in \(HOME is empty or relative\)/,
    )
    assert.doesNotMatch(status.stderr, /\n\s+at /)
  })

  it('relative XDG variables are ignored, as their spec says: the usual places in the home are used', async () => {
    const sandbox = makeSandbox()
    await initialise(sandbox, {env: {XDG_CACHE_HOME: 'cache-here', XDG_CONFIG_HOME: 'config-here'}})
    assert.ok(readFileSync(join(sandbox.home, '.config', 'chef', 'telemetry.yml'), 'utf8').includes('instance_id'))
    assert.deepEqual(readdirSync(sandbox.root).sort(), ['cache', 'home'])
  })
})

describe('a shared config that is a symbolic link (dotfiles kept in a repository)', () => {
  it('stays a link: off and on replace the file it points to', async () => {
    const sandbox = makeSandbox()
    await initialise(sandbox)
    const kept = join(sandbox.root, 'dotfiles', 'telemetry.yml')
    mkdirSync(dirname(kept))
    renameSync(sandbox.configFile, kept)
    symlinkSync(kept, sandbox.configFile)
    assert.equal((await runCli(sandbox, ['telemetry', 'off'])).code, 0)
    assert.ok(lstatSync(sandbox.configFile).isSymbolicLink(), 'still a link after off')
    assert.match(readFileSync(kept, 'utf8'), /enabled: false/)
    assert.equal((await runCli(sandbox, ['telemetry', 'on'])).code, 0)
    assert.ok(lstatSync(sandbox.configFile).isSymbolicLink(), 'still a link after on')
    assert.match(readFileSync(kept, 'utf8'), /enabled: true/)
    assert.equal(modeOf(kept), 0o600, 'the file written is private')
  })

  // Run as root (sudo keeping HOME, CI, shared volumes), a link could name any file of the machine.
  const victimCases: Array<[string, string]> = [
    ['a file of another user holding something else', 'password: hunter2\n'],
    [
      'a file of another user holding a valid config',
      'instance_id: 0b0b0b0b-1c1c-4d4d-8e8e-0f0f0f0f0f0f\nenabled: true\n',
    ],
  ]
  for (const [name, content] of victimCases) {
    it(
      `(${name}) on and off never write through it, copy it or chmod it, and say why`,
      {skip: !isRoot && 'needs root, to own a file as another user'},
      async () => {
        const sandbox = makeSandbox()
        const victim = join(sandbox.root, 'elsewhere', 'victim')
        mkdirSync(dirname(victim))
        writeFileSync(victim, content, {mode: 0o644})
        chownSync(victim, NOBODY, NOBODY)
        mkdirSync(sandbox.configDir, {recursive: true})
        symlinkSync(victim, sandbox.configFile)
        const untouched = () => {
          const stat = statSync(victim)
          assert.deepEqual([readFileSync(victim, 'utf8'), stat.uid, modeOf(victim)], [content, NOBODY, 0o644])
          assert.ok(lstatSync(sandbox.configFile).isSymbolicLink())
        }

        const on = await runCli(sandbox, ['telemetry', 'on'])
        assert.equal(on.code, 1)
        assert.match(
          flat(on.stderr),
          new RegExp(
            `Could not turn telemetry on: .*telemetry\\.yml: it is a symbolic link to ${victim}, a file owned by another user \\(uid ${NOBODY}\\); it was left untouched`,
          ),
        )
        untouched()
        const off = await runCli(sandbox, ['telemetry', 'off'])
        assert.equal(off.code, 0, 'the opt-out file still turns telemetry off')
        assert.match(
          flat(off.stderr),
          /Could not update .*telemetry\.yml: it is a symbolic link to .*left untouched.*the opt-out file keeps telemetry off/,
        )
        assert.match(off.stdout, /Telemetry is now off/)
        untouched()
        if (content.includes('instance_id')) {
          // Its instance id is read (reading harms nothing) and deleted (the request, then the receipt read);
          // it cannot be renewed through the link.
          const server = await new StubCollector().start()
          try {
            const deletion = await runCli(sandbox, ['telemetry', 'delete', '--yes'], {
              env: {CHEF_TELEMETRY_ENDPOINT: server.url},
            })
            assert.equal(deletion.code, 0, deletion.stderr)
            assert.match(
              flat(deletion.stderr),
              /The instance id could not be renewed \(.*telemetry\.yml: it is a symbolic link to .*\); nothing recorded under the old one will be sent/,
            )
            assert.deepEqual(
              server.received.map((r) => r.method),
              ['DELETE', 'GET'],
            )
          } finally {
            await server.close()
          }

          untouched()
        }

        // No copy of it anywhere the plugin writes; every file it wrote is private.
        // (schedule.json is the sandbox's own, written by the test before the plugin ran.)
        const written = allFiles(sandbox.root).filter(
          (f) => f !== victim && f !== join(sandbox.cacheDir, 'schedule.json'),
        )
        assert.ok(written.some((f) => f.endsWith('telemetry_opt_out')))
        for (const file of written) {
          assert.ok(!readFileSync(file, 'utf8').includes(content.trim()), `${file} holds the victim's content`)
          assert.equal(modeOf(file), 0o600, `${file} is not private`)
        }
      },
    )
  }

  it('a link to a directory is refused too, and the directory left as it is', async () => {
    const sandbox = makeSandbox()
    const dir = join(sandbox.root, 'somedir')
    mkdirSync(dir)
    mkdirSync(sandbox.configDir, {recursive: true})
    symlinkSync(dir, sandbox.configFile)
    const on = await runCli(sandbox, ['telemetry', 'on'])
    assert.equal(on.code, 1)
    assert.match(flat(on.stderr), /it is a symbolic link to .*somedir, not a regular file; it was left untouched/)
    assert.deepEqual(readdirSync(dir), [])
    assert.ok(lstatSync(sandbox.configFile).isSymbolicLink())
  })
})

describe('homes and directories that cannot be written', {skip: !isRoot && process.getuid?.() === undefined}, () => {
  it('a read-only config directory: commands run as before, silently, and nothing is recorded', async () => {
    const sandbox = makeSandbox()
    mkdirSync(join(sandbox.root, 'config'))
    giveToNobody(sandbox.root)
    chmodSync(join(sandbox.root, 'config'), 0o555)
    await assertUntouched(sandbox, {unprivileged: true})
    assert.deepEqual(readdirSync(join(sandbox.root, 'config')), [])
    const status = await runCli(sandbox, ['telemetry', 'status'], {unprivileged: true})
    assert.match(flat(status.stderr), /The config directory .* cannot be written: the shared config cannot be created/)
    const off = await runCli(sandbox, ['telemetry', 'off'], {unprivileged: true})
    assert.equal(off.code, 0, 'the opt-out file in the home still records the decision')
    assert.match(flat(off.stderr), /Could not update .*telemetry\.yml: permission denied/)
    assert.equal(readFileSync(join(sandbox.home, '.chef', 'telemetry_opt_out'), 'utf8'), '')
  })

  it('a config made unreadable after commands read it: nothing more is recorded, and status says why', async () => {
    const sandbox = makeSandbox()
    giveToNobody(sandbox.root)
    await initialise(sandbox, {unprivileged: true})
    const debug = {env: {CHEF_TELEMETRY_DEBUG: '1'}, unprivileged: true}
    assert.equal(debugEvents((await runCli(sandbox, ['hello'], debug)).stderr).length, 1, 'recorded while readable')
    // chmod changes neither the size, the mtime nor the inode that the snapshot was keyed by.
    chmodSync(sandbox.configFile, 0o000)
    const after = await runCli(sandbox, ['hello'], debug)
    assert.deepEqual([after.code, after.stdout, debugEvents(after.stderr)], [0, 'hello\n', []])
    const status = await runCli(sandbox, ['telemetry', 'status', '--json'], {unprivileged: true})
    assert.equal(JSON.parse(status.stdout).enabled, false)
    chmodSync(sandbox.configFile, 0o644)
    assert.equal(debugEvents((await runCli(sandbox, ['hello'], debug)).stderr).length, 1, 'readable again')
  })

  it('an unwritable cache directory: delete, flush and status say so at once, not that a sender is busy', async () => {
    const sandbox = makeSandbox()
    giveToNobody(sandbox.root)
    await initialise(sandbox, {unprivileged: true})
    chmodSync(sandbox.cacheDir, 0o500)
    const said = /cannot be written \(permission denied\)/
    const deletion = await runCli(sandbox, ['telemetry', 'delete', '--yes'], {unprivileged: true})
    assert.equal(deletion.code, 1)
    assert.match(flat(deletion.stderr), /Nothing was deleted: the cache directory .* cannot be written/)
    assert.ok(deletion.durationMs < 10_000, `answered in ${deletion.durationMs} ms, without waiting for a lock`)
    const flush = await runCli(sandbox, ['telemetry', 'flush'], {unprivileged: true})
    assert.deepEqual([flush.code, said.test(flat(flush.stderr))], [1, true], flush.stderr)
    const status = await runCli(sandbox, ['telemetry', 'status'], {unprivileged: true})
    assert.equal(status.code, 0)
    assert.match(flat(status.stderr), /cannot be written: commands are not recorded/)
    const {warnings} = JSON.parse(
      (await runCli(sandbox, ['telemetry', 'status', '--json'], {unprivileged: true})).stdout,
    )
    assert.match(warnings.join('\n'), /The cache directory .* cannot be written: commands are not recorded/)
    chmodSync(sandbox.cacheDir, 0o700)
  })

  it('a read-only home: commands run as before; `off` fails with a clear message and no stack trace', async () => {
    const sandbox = makeSandbox()
    delete sandbox.env.XDG_CONFIG_HOME
    delete sandbox.env.XDG_CACHE_HOME
    giveToNobody(sandbox.root)
    chmodSync(sandbox.home, 0o555)
    await assertUntouched(sandbox, {unprivileged: true})
    const off = await runCli(sandbox, ['telemetry', 'off'], {unprivileged: true})
    assert.equal(off.code, 1)
    assert.match(flat(off.stderr), /Could not turn telemetry off: .*permission denied/)
    assert.doesNotMatch(off.stderr, /\n\s+at /, 'no stack trace')
  })

  for (const [name, home] of [
    ['below a file', 'a-file/home'],
    ['under /proc', '/proc/no-such-home'],
  ]) {
    it(`a home that does not exist and cannot be created (${name})`, async () => {
      const sandbox = makeSandbox()
      writeFileSync(join(sandbox.root, 'a-file'), '')
      sandbox.env.HOME = resolve(sandbox.root, home)
      delete sandbox.env.XDG_CONFIG_HOME
      delete sandbox.env.XDG_CACHE_HOME
      await assertUntouched(sandbox)
      const status = await runCli(sandbox, ['telemetry', 'status'])
      assert.equal(status.code, 0)
      assert.match(status.stdout, /^Telemetry is (on|off) for mycli: /)
    })
  }
})

describe('many processes at once', () => {
  it('30 first runs on a fresh home make one config, and every process uses its instance id', async () => {
    const sandbox = makeSandbox()
    const runs = await Promise.all(
      // All at once on two cores: each takes many times its usual time, hence the generous limit.
      Array.from({length: 30}, () =>
        runCli(sandbox, ['hello'], {env: {CHEF_TELEMETRY_DEBUG: '1'}, timeoutMs: 120_000}),
      ),
    )
    const ids = new Set<string>()
    let notices = 0
    for (const run of runs) {
      assert.deepEqual([run.code, run.stdout], [0, 'hello\n'])
      if (run.stderr.includes('anonymous usage data')) notices++
      const seen = run.stderr.match(/instance ([\da-f-]{36})/)
      assert.ok(seen, run.stderr)
      ids.add(seen[1])
    }

    assert.equal(notices, 1, 'the notice is shown by the one process that created the config')
    assert.deepEqual(readdirSync(sandbox.configDir), ['telemetry.yml'], 'no temporary file left behind')
    const id = readFileSync(sandbox.configFile, 'utf8').match(/instance_id: (\S+)/)![1]
    assert.deepEqual([...ids], [id])
  })

  it('20 recorded commands at once each append one whole line', async () => {
    const sandbox = makeSandbox()
    await initialise(sandbox)
    await Promise.all(Array.from({length: 20}, () => runCli(sandbox, ['hello'], {timeoutMs: 120_000})))
    const messages = queuedMessages(sandbox)
    assert.equal(messages.length, 20)
    assert.equal(new Set(messages.map((m) => m.message_id)).size, 20)
  })
})

describe('a queue that is damaged or cannot be written', () => {
  it('a corrupt queue file: new events still land on lines of their own', async () => {
    const sandbox = makeSandbox()
    await initialise(sandbox)
    mkdirSync(sandbox.queueDir, {recursive: true})
    writeFileSync(join(sandbox.queueDir, 'current.jsonl'), '\u0000\u00FF garbage {"half": ')
    await assertUntouched(sandbox)
    const lines = readFileSync(join(sandbox.queueDir, 'current.jsonl'), 'utf8').split('\n')
    assert.equal(JSON.parse(lines[1]).payload.properties.command, 'hello')
    assert.equal(JSON.parse(lines[2]).payload.properties.command, 'fail')
  })

  it('a huge queue file is dropped to the bound, and the drop is counted', async () => {
    const sandbox = makeSandbox()
    await initialise(sandbox)
    mkdirSync(sandbox.queueDir, {recursive: true})
    const line = JSON.stringify({filler: 'x'.repeat(1000)}) + '\n'
    writeFileSync(join(sandbox.queueDir, 'current.jsonl'), line.repeat(40 * 1024))
    const result = await runCli(sandbox, ['hello'])
    assert.deepEqual([result.code, result.stdout, result.stderr], [0, 'hello\n', ''])
    const status = JSON.parse((await runCli(sandbox, ['telemetry', 'status', '--json'])).stdout)
    assert.equal(status.dropped, 40 * 1024 + 1, 'the filler lines and the event appended to them')
    assert.equal(status.queued, 0)
    await runCli(sandbox, ['hello'])
    assert.equal(queuedMessages(sandbox).length, 1)
  })

  it('a queue directory that is a file, or a cache that is read-only: silent, nothing else changes', async () => {
    const sandbox = makeSandbox()
    await initialise(sandbox)
    writeFileSync(sandbox.queueDir, 'not a directory')
    await assertUntouched(sandbox)
    const other = makeSandbox()
    await initialise(other)
    giveToNobody(other.root)
    chmodSync(other.cacheDir, 0o555)
    await assertUntouched(other, {unprivileged: true})
  })
})

/** `hello` with stderr on a full device, or on a pipe closed at once: its exit code and stdout. */
async function hello(sandbox: Sandbox, stderr: 'closed pipe' | 'full', env: NodeJS.ProcessEnv = {}) {
  const full = stderr === 'full' ? openSync('/dev/full', 'w') : undefined
  try {
    const started = start(process.execPath, [HOST_CLI, 'hello'], {
      cwd: sandbox.root,
      env: {...sandbox.env, ...env},
      stderr: full,
    })
    started.child.stderr?.destroy()
    const {code, stdout} = await started.done
    return [code, stdout]
  } finally {
    if (full !== undefined) closeSync(full)
  }
}

describe('a stderr that cannot be written', () => {
  for (const stderr of ['full', 'closed pipe'] as const) {
    // The notice and debug lines are the plugin's only writes to stderr.
    it(`(${stderr}) the first run's notice and debug output fail quietly; the command runs as it would`, async () => {
      assert.deepEqual(await hello(makeSandbox(), stderr), [0, 'hello\n'], 'first run')
      const sandbox = makeSandbox()
      await initialise(sandbox)
      assert.deepEqual(await hello(sandbox, stderr, {CHEF_TELEMETRY_DEBUG: '1'}), [0, 'hello\n'], 'debug mode')
    })
  }
})
