/**
 * What the store leaves on disk and how it shares its file with other processes, observed from
 * outside: bytes in the files, file modes, child processes holding locks, request latencies.
 */
import assert from 'node:assert/strict'
import {type ChildProcess, spawn} from 'node:child_process'
import {randomUUID} from 'node:crypto'
import {chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'
import pg from 'pg'

import {prepareMessage} from '../src/store/message.js'
import {openStore} from '../src/store/open.js'
import {collectorDir, startCollector} from './support/child.js'
import {postJson, send} from './support/http.js'
import {batch} from './support/messages.js'
import {skipPostgres, startPostgres} from './support/postgres.js'
import {serve} from './support/server.js'

const dir = mkdtempSync(join(tmpdir(), 'collector-disk-'))
after(() => rmSync(dir, {force: true, recursive: true}))

/** Files under `root` (recursively) whose bytes contain `needle`. */
function filesContaining(root: string, needle: string): string[] {
  const found: string[] = []
  for (const entry of readdirSync(root, {recursive: true, withFileTypes: true})) {
    if (!entry.isFile()) continue
    const path = join(entry.parentPath, entry.name)
    if (readFileSync(path).includes(needle)) found.push(path)
  }

  return found
}

/** 50 events carrying the canary: in command events' extra fields, and as a custom event's property value. */
function canaryEvents(instanceId: string, canary: string) {
  return [
    ...batch(25, {instance_id: instanceId, properties: {note: `${canary} ${'x'.repeat(200)}`, secret: canary}}),
    ...batch(25, {instance_id: instanceId, payload: {event: 'note_taken', properties: {note: canary}}}),
  ]
}

/** A second process that takes SQLite's write lock on `file` and holds it until stdin closes. */
async function holdWriteLock(file: string): Promise<{release(): Promise<void>}> {
  const script = `
    const Database = require('better-sqlite3')
    const db = new Database(process.argv[1])
    db.exec('BEGIN IMMEDIATE')
    process.stdout.write('locked\\n')
    process.stdin.on('end', () => { db.exec('ROLLBACK'); db.close(); process.exit(0) })
    process.stdin.resume()`
  const child: ChildProcess = spawn(process.execPath, ['-e', script, file], {
    cwd: collectorDir,
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve())
    child.once('exit', (code) => reject(new Error(`lock holder exited ${code}`)))
  })
  return {
    async release() {
      const exited = new Promise((resolve) => {
        child.once('exit', resolve)
      })
      child.stdin!.end()
      await exited
    },
  }
}

/** Permission bits in octal, e.g. "600". */
const modeOf = (path: string) => statSync(path).mode.toString(8).slice(-3)

async function timed<T>(fn: () => Promise<T>): Promise<{ms: number; value: T}> {
  const started = performance.now()
  const value = await fn()
  return {ms: performance.now() - started, value}
}

describe('SQLite store on disk', () => {
  it('keeps no readable copy of deleted events, while running and after shutdown', async () => {
    const home = mkdtempSync(join(dir, 'canary-'))
    const canary = `CANARY-${randomUUID()}`
    const instance = randomUUID()
    const collector = await startCollector([
      '--store',
      join(home, 'telemetry.db'),
      '--log-level',
      'warn',
      // The engine's file is rewritten without the deleted rows at once (default: a minute later).
      '--compact-after',
      '0',
    ])
    try {
      for (let i = 0; i < 3; i++) {
        assert.equal((await postJson(`${collector.url}/events`, canaryEvents(instance, canary))).status, 200)
        assert.equal((await postJson(`${collector.url}/events`, batch(50))).status, 200)
      }

      assert.ok(filesContaining(home, canary).length > 0, 'the canary was written')
      // The engine has read every event before the deletion: its file must lose them too.
      for (let i = 0; i < 100; i++) {
        const {analytics} = (await send(`${collector.url}/healthz`)).json
        if (analytics.watermark >= 300 && analytics.lag_events === 0) break
        await sleep(100)
      }

      const deletion = await send(`${collector.url}/instances/${instance}`, {method: 'DELETE'})
      assert.equal(deletion.status, 202)
      // Not asserted for the instance id: a copy can stay as a divider key in an interior page of
      // the index on events.instance_id until that page is rebalanced (no event data with it).
      // The store of record at once; the engine's file once compacted (bounded wait).
      for (let i = 0; i < 100 && filesContaining(home, canary).length > 0; i++) await sleep(100)
      assert.deepEqual(filesContaining(home, canary), [], 'while running')
    } finally {
      collector.child.kill('SIGTERM')
      await collector.exited
    }

    assert.deepEqual(filesContaining(home, canary), [], 'after shutdown')
  })

  it('keeps no readable copy of purged events', async () => {
    const home = mkdtempSync(join(dir, 'purge-'))
    const canary = `PURGED-${randomUUID()}`
    const store = await openStore(join(home, 'telemetry.db'))
    try {
      await store.insert(canaryEvents(randomUUID(), canary).map((m) => prepareMessage(m)))
      assert.ok(filesContaining(home, canary).length > 0)
      assert.equal((await store.purge(new Date(Date.now() + 60_000))).events, 50)
      assert.deepEqual(filesContaining(home, canary), [], 'while open')
    } finally {
      await store.close()
    }

    assert.deepEqual(filesContaining(home, canary), [], 'after closing')
  })

  it('creates its files readable by their owner only (0600), and narrows an existing 0644 file', async () => {
    const home = join(dir, 'modes', 'nested')
    const file = join(home, 'telemetry.db')
    const collector = await startCollector(['--store', file, '--log-level', 'warn'])
    try {
      assert.equal((await postJson(`${collector.url}/events`, batch(3))).status, 200)
      const files = readdirSync(home)
      assert.deepEqual(files.filter((f) => !f.endsWith('.wal') || !f.includes('duckdb')).sort(), [
        'telemetry.db',
        'telemetry.db-shm',
        'telemetry.db-wal',
        'telemetry.db.analytics.duckdb',
      ])
      for (const name of files) {
        assert.equal(modeOf(join(home, name)), '600', name)
      }

      assert.equal(modeOf(home), '700', 'the directory it created')
    } finally {
      collector.child.kill('SIGTERM')
      await collector.exited
    }

    const old = join(dir, 'old.db')
    writeFileSync(old, '')
    chmodSync(old, 0o644)
    const store = await openStore(old)
    await store.close()
    assert.equal(modeOf(old), '600')
  })

  // eslint-disable-next-line mocha/handle-done-callback -- node:test passes a context, not done
  it('answers /healthz and POST /events within 200 ms while another process holds the write lock', async (t) => {
    const file = join(dir, 'locked.db')
    const store = await openStore(file)
    const server = await serve({logger: false, port: 0, store})
    try {
      // The same requests without the lock: what this (shared, loaded) machine takes anyway.
      const round = async () => {
        const [post, health, post2] = await Promise.all([
          timed(() => postJson(`${server.url}/events`, batch(5))),
          timed(() => send(`${server.url}/healthz`)),
          timed(() => postJson(`${server.url}/events`, batch(5))),
        ])
        const deletion = await timed(() => send(`${server.url}/instances/${randomUUID()}`, {method: 'DELETE'}))
        return {deletion, health, post, post2}
      }

      await round()
      const free = await round()
      const lock = await holdWriteLock(file)
      try {
        const locked = await round()
        assert.equal(locked.health.value.status, 200)
        for (const res of [locked.post, locked.post2, locked.deletion]) {
          // The store cannot write: the client is told to retry later, quickly.
          assert.equal(res.value.status, 503, res.value.text)
          assert.match(res.value.json.error, /retry later/)
        }

        const ms = (r: typeof free) =>
          `healthz ${r.health.ms.toFixed(0)} ms, posts ${r.post.ms.toFixed(0)}/${r.post2.ms.toFixed(0)} ms, delete ${r.deletion.ms.toFixed(0)} ms`
        t.diagnostic(`without the lock: ${ms(free)}; under a held lock: ${ms(locked)}`)
        for (const name of ['deletion', 'health', 'post', 'post2'] as const) {
          const waited = locked[name].ms - free[name].ms
          assert.ok(locked[name].ms < 200 || waited < 150, `${name} took ${locked[name].ms.toFixed(0)} ms`)
        }
      } finally {
        await lock.release()
      }

      assert.equal((await postJson(`${server.url}/events`, batch(5))).status, 200)
      // Another process may read the file while the server runs (backups, support).
      const reader = await openStore(file, {sqlite: {readonly: true}})
      assert.equal(await reader.countEvents(), 25)
      await reader.close()
    } finally {
      await server.close()
      await store.close()
    }
  })

  // eslint-disable-next-line mocha/handle-done-callback -- node:test passes a context, not done
  it('bounds what deletions of never-seen instances cost', async (t) => {
    const file = join(dir, 'never-seen.db')
    const store = await openStore(file, {sqlite: {synchronous: 'normal'}})

    // With the default limits one address gets 30 a minute, whatever it sends.
    const limited = await serve({logger: false, port: 0, store})
    try {
      const statuses = await Promise.all(
        Array.from({length: 300}, () => send(`${limited.url}/instances/${randomUUID()}`, {method: 'DELETE'})),
      )
      assert.equal(statuses.filter((r) => r.status === 202).length, 30)
      assert.equal(statuses.filter((r) => r.status === 429).length, 270)
    } finally {
      await limited.close()
    }

    // Without limits (many addresses), each costs a small, constant amount.
    await store.close()
    const before = statSync(file).size
    const reopened = await openStore(file, {sqlite: {synchronous: 'normal'}})
    const server = await serve({logger: false, port: 0, rateLimits: {deletions: false}, store: reopened})
    try {
      const ids = Array.from({length: 10_000}, () => randomUUID())
      const queue = [...ids]
      await Promise.all(
        Array.from({length: 16}, async () => {
          for (let id = queue.pop(); id; id = queue.pop()) {
            const res = await send(`${server.url}/instances/${id}`, {method: 'DELETE'})
            assert.equal(res.status, 202)
          }
        }),
      )
    } finally {
      await server.close()
      await reopened.close()
    }

    // Closed, the WAL is folded into the file.
    const perDeletion = (statSync(file).size - before) / 10_000
    t.diagnostic(`${perDeletion.toFixed(0)} bytes per deletion of a never-seen instance`)
    assert.ok(perDeletion < 512, `${perDeletion.toFixed(0)} bytes per deletion of a never-seen instance`)
  })
})

describe('PostgreSQL store on disk', {skip: skipPostgres ? 'COLLECTOR_SKIP_PG=1' : false}, () => {
  // eslint-disable-next-line mocha/handle-done-callback -- node:test passes a context, not done
  it('bounds what deletions of never-seen instances cost', async (t) => {
    const cluster = await startPostgres()
    try {
      const url = await cluster.createDatabase()
      const store = await openStore(url)
      const server = await serve({logger: false, port: 0, rateLimits: {deletions: false}, store})
      const client = new pg.Client({connectionString: url})
      await client.connect()
      const size = async () => {
        await client.query('CHECKPOINT')
        const {rows} = await client.query<{n: string}>('SELECT pg_database_size(current_database())::text AS n')
        return Number(rows[0].n)
      }

      try {
        const before = await size()
        const queue = Array.from({length: 10_000}, () => randomUUID())
        await Promise.all(
          Array.from({length: 16}, async () => {
            for (let id = queue.pop(); id; id = queue.pop()) {
              assert.equal((await send(`${server.url}/instances/${id}`, {method: 'DELETE'})).status, 202)
            }
          }),
        )
        const perDeletion = ((await size()) - before) / 10_000
        t.diagnostic(`${perDeletion.toFixed(0)} bytes per deletion of a never-seen instance`)
        assert.ok(perDeletion < 1024, `${perDeletion.toFixed(0)} bytes per deletion of a never-seen instance`)
      } finally {
        await client.end()
        await server.close()
        await store.close()
      }
    } finally {
      cluster.stop()
    }
  })

  it('keeps no copy of deleted events in its table files once the documented VACUUM FULL ran', async () => {
    const cluster = await startPostgres()
    try {
      const url = await cluster.createDatabase()
      const store = await openStore(url)
      const server = await serve({logger: false, port: 0, store})
      const client = new pg.Client({connectionString: url})
      await client.connect()
      try {
        const canary = `PGCANARY-${randomUUID()}`
        const instance = randomUUID()
        assert.equal((await postJson(`${server.url}/events`, canaryEvents(instance, canary))).status, 200)
        assert.equal((await postJson(`${server.url}/events`, batch(50))).status, 200)
        const {rows} = await client.query<{dir: string; oid: string}>(
          'SELECT current_setting($1) AS dir, oid::text AS oid FROM pg_database WHERE datname = current_database()',
          ['data_directory'],
        )
        const tables = join(rows[0].dir, 'base', rows[0].oid)
        await client.query('CHECKPOINT')
        assert.ok(filesContaining(tables, canary).length > 0, 'the canary was written')
        assert.equal((await send(`${server.url}/instances/${instance}`, {method: 'DELETE'})).status, 202)
        // docs/operators.md: what completes a deletion on disk in PostgreSQL.
        await client.query('VACUUM FULL events')
        await client.query('CHECKPOINT')
        assert.deepEqual(filesContaining(tables, canary), [])
        assert.deepEqual(filesContaining(tables, instance), [])
      } finally {
        await client.end()
        await server.close()
        await store.close()
      }
    } finally {
      cluster.stop()
    }
  })
})
