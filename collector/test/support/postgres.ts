/**
 * A throwaway PostgreSQL cluster for tests and benchmarks: initdb in a temp dir, pg_ctl start on a
 * free loopback port with the socket in the temp dir, stopped and removed afterwards (also when the
 * process exits on a failure). As root, the server runs as the `postgres` user via runuser.
 *
 * Tests skip PostgreSQL only when COLLECTOR_SKIP_PG=1; otherwise a cluster that cannot start fails them.
 */
import {execFileSync, spawnSync} from 'node:child_process'
import {chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import pg from 'pg'

export const skipPostgres = process.env.COLLECTOR_SKIP_PG === '1'

export interface PgCluster {
  /** Create a fresh database and return its URL. */
  createDatabase(name?: string): Promise<string>
  /** The cluster's data directory. */
  data: string
  port: number
  stop(): void
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  url: string
}

function findBinDir(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN
  const root = '/usr/lib/postgresql'
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a))
    if (versions.length > 0) return join(root, versions[0], 'bin')
  }

  const which = spawnSync('sh', ['-c', 'command -v initdb'], {encoding: 'utf8'})
  if (which.status === 0 && which.stdout.trim()) return join(which.stdout.trim(), '..')
  throw new Error('PostgreSQL server binaries (initdb, pg_ctl) not found: install the postgresql package or set PG_BIN')
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

let counter = 0

export interface StartPostgresOptions {
  /** fsync off (default true for tests: faster, and crash safety of PostgreSQL is not under test). */
  fast?: boolean
  /** Leave the cluster running when the process exits (bench:scale --keep); `stop()` still removes it. */
  keep?: boolean
}

export async function startPostgres(options: StartPostgresOptions = {}): Promise<PgCluster> {
  const bin = findBinDir()
  const isRoot = process.getuid?.() === 0
  const dir = mkdtempSync(join(tmpdir(), 'collector-pg-'))
  const data = join(dir, 'data')
  const log = join(dir, 'postgres.log')
  if (isRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], {encoding: 'utf8'}).trim())
    const gid = Number(execFileSync('id', ['-g', 'postgres'], {encoding: 'utf8'}).trim())
    chownSync(dir, uid, gid)
  }

  chmodSync(dir, 0o700)
  const run = (tool: string, args: string[]) => {
    const command = isRoot ? 'runuser' : join(bin, tool)
    const argv = isRoot ? ['-u', 'postgres', '--', join(bin, tool), ...args] : args
    const result = spawnSync(command, argv, {cwd: dir, encoding: 'utf8', timeout: 60_000})
    if (result.status !== 0) {
      const logText = existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : ''
      throw new Error(
        `${tool} failed (${result.status ?? result.signal}): ${result.stderr}${result.stdout}\n${logText}`,
      )
    }
  }

  let started = false
  const stop = () => {
    if (started) {
      started = false
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'])
      } catch {
        // Already gone.
      }
    }

    rmSync(dir, {force: true, recursive: true})
    process.removeListener('exit', stop)
  }

  if (!options.keep) process.on('exit', stop)
  try {
    run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'utf8', '--no-locale', '--no-sync'])
    const port = await freePort()
    const settings = [
      `-p ${port}`,
      `-k ${dir}`,
      '-c listen_addresses=127.0.0.1',
      '-c max_connections=100',
      '-c shared_buffers=64MB',
      ...(options.fast === false ? [] : ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off']),
    ]
    started = true
    run('pg_ctl', ['-D', data, '-l', log, '-w', '-t', '60', '-o', settings.join(' '), 'start'])
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`
    return {
      async createDatabase(name = `t${process.pid}_${++counter}`) {
        const client = new pg.Client({connectionString: url})
        await client.connect()
        try {
          await client.query(`CREATE DATABASE ${name}`)
        } finally {
          await client.end()
        }

        return `postgres://postgres@127.0.0.1:${port}/${name}`
      },
      data,
      port,
      stop,
      url,
    }
  } catch (error) {
    stop()
    throw error
  }
}

/** Bytes a database takes on disk (pg_database_size). */
export async function databaseSize(url: string): Promise<number> {
  const client = new pg.Client({connectionString: url})
  await client.connect()
  try {
    const {rows} = await client.query<{n: number}>('SELECT pg_database_size(current_database())::float8 AS n')
    return rows[0].n
  } finally {
    await client.end()
  }
}
