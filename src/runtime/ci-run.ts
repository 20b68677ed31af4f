// Imported by the init hook only when the decision is `ci` (docs/decision.md): a CI job with no
// shared config. No config is written there (a fresh home on every run would count every run as a
// new person); its events go under an id of this CI job's run instead, kept in the cache directory.
import {readFileSync, statSync, utimesSync, writeFileSync} from 'node:fs'
import {dirname} from 'node:path'

import {randomUuid} from '../events/ids.js'
import {ensureDir, writeFileAtomic} from '../files.js'
import {isInstanceId} from '../shared-config/validate.js'
import {SESSION_IDLE_MS} from './session.js'

/**
 * Variables that name one job's run, per CI service: a change means another run on the same machine
 * (a runner that keeps its home). Only a hash of them is kept, and only on this machine.
 */
export const CI_RUN_VARIABLES = [
  'GITHUB_RUN_ID',
  'GITHUB_RUN_ATTEMPT',
  'GITHUB_JOB',
  'CI_JOB_ID',
  'CIRCLE_WORKFLOW_JOB_ID',
  'CIRCLE_BUILD_NUM',
  'BUILDKITE_JOB_ID',
  'BUILD_TAG',
  'BUILD_BUILDID',
  'SYSTEM_JOBID',
  'TRAVIS_JOB_ID',
  'CODEBUILD_BUILD_ID',
  'BITBUCKET_BUILD_NUMBER',
  'BITBUCKET_STEP_UUID',
  'BUILD_ID',
  'BUILD_NUMBER',
  'RUN_ID',
]

export interface CiRun {
  /** The id this run's events are sent under: a UUID of version 8, where a person's is version 4. */
  id: string
  /** This command started the run: it shows the one-line notice and is not recorded. */
  started: boolean
}

/**
 * A person's instance id is a random UUID of version 4; a CI run's is random too but of version 8
 * (RFC 9562's custom version), so the two are told apart by the id alone, as well as by `ci`.
 */
export function isCiRunId(id: string): boolean {
  return id[14] === '8'
}

async function newRunId(): Promise<string> {
  const id = await randomUuid()
  return `${id.slice(0, 14)}8${id.slice(15)}`
}

async function fingerprint(env: NodeJS.ProcessEnv): Promise<string> {
  const present = CI_RUN_VARIABLES.filter((name) => env[name]).map((name) => `${name}=${env[name]}`)
  if (present.length === 0) return ''
  const {createHash} = await import('node:crypto')
  return createHash('sha256').update(present.join('\n')).digest('hex').slice(0, 32)
}

function readRun(file: string): undefined | {id: string; mtimeMs: number; run: string} {
  try {
    const {id, run} = JSON.parse(readFileSync(file, 'utf8')) as {id?: unknown; run?: unknown}
    if (!isInstanceId(id) || !isCiRunId(id) || typeof run !== 'string') return undefined
    return {id, mtimeMs: statSync(file).mtimeMs, run}
  } catch {
    return undefined
  }
}

/**
 * The run this command belongs to. The same run while the CI service's run variables are unchanged;
 * where it sets none that are known, while commands follow each other within ten minutes (as a
 * session). Returns undefined when the cache cannot be written: then nothing is shown or recorded.
 */
export async function ciRun(file: string, env: NodeJS.ProcessEnv, now = Date.now()): Promise<CiRun | undefined> {
  const run = await fingerprint(env)
  const sameRun = (found: ReturnType<typeof readRun>) =>
    found !== undefined && found.run === run && (run !== '' || now - found.mtimeMs < SESSION_IDLE_MS)
  const existing = readRun(file)
  if (existing && sameRun(existing)) {
    try {
      utimesSync(file, now / 1000, now / 1000)
    } catch {
      // Only the idle time of a run without run variables depends on it.
    }

    return {id: existing.id, started: false}
  }

  const id = await newRunId()
  const data = JSON.stringify({id, run})
  try {
    if (existing === undefined) {
      // Commands started together at the start of a job: the first creates the file, the others use it.
      ensureDir(dirname(file))
      writeFileSync(file, data, {flag: 'wx', mode: 0o600})
    } else writeFileAtomic(file, data)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return undefined
    const raced = readRun(file)
    if (raced && sameRun(raced)) return {id: raced.id, started: false}
    // A damaged file in its place: replaced, as a stale run's is.
    try {
      writeFileAtomic(file, data)
    } catch {
      return undefined
    }
  }

  return {id, started: true}
}

/** The notice of a CI run: one line, for logs that would otherwise get the whole notice on every run. */
export function ciNoticeLine(bin: string, vendor: string, privacyUrl?: string): string {
  const privacy = privacyUrl ? `; privacy policy: ${privacyUrl}` : ''
  const service = vendor === 'unknown' ? '' : ` (${vendor})`
  return `${bin} sends anonymous usage data from this CI job${service} under an id of this run, not of a person, and writes no config; set DO_NOT_TRACK=1 to opt out${privacy}\n`
}
