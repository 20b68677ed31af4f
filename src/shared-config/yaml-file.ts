// The shared config's YAML file: parsed and written here only. Loaded only when the file is created,
// changed or not yet snapshotted: `yaml` and `uuid` cost tens of milliseconds to import.
import {
  chmodSync,
  copyFileSync,
  linkSync,
  readFileSync,
  realpathSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs'
import {v4 as uuidv4} from 'uuid'
import {isDocument, parseDocument} from 'yaml'

import type {Paths} from '../paths.js'
import type {Settings} from '../settings.js'
import type {Snapshot} from './snapshot.js'

import {describeFsError, ensureDir, writeFileAtomic} from '../files.js'
import {type SharedConfigState, validateSharedConfig} from './validate.js'

export function parseSharedConfig(text: string): SharedConfigState {
  if (text.trim() === '') return {kind: 'invalid', reason: 'the file is empty'}
  const doc = parseDocument(text, {uniqueKeys: true})
  if (doc.errors.length > 0) return {kind: 'invalid', reason: `it is not valid YAML (${doc.errors[0].code})`}
  let value: unknown
  try {
    // Aliases (*name) are refused: a settings file needs none, and nested ones expand to millions of
    // nodes (toJS throws on them, which must say why the file cannot be used, not escape).
    value = doc.toJS({maxAliasCount: 0})
  } catch {
    return {kind: 'invalid', reason: 'it uses YAML aliases (*name), which a settings file does not need'}
  }

  return validateSharedConfig(value)
}

export function readSharedConfigFile(file: string): {readable: boolean; state: SharedConfigState} {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {readable: true, state: {kind: 'missing'}}
    return {readable: false, state: {kind: 'invalid', reason: describeFsError(error)}}
  }

  return {readable: true, state: parseSharedConfig(text)}
}

export function configHeader(settings: Settings): string {
  const lines = [
    `Telemetry settings shared by every ${settings.namespace} command-line tool on this machine.`,
    'When enabled, these tools send anonymous usage data: the commands run, the names of the flags',
    'used (never their values), how long commands take and whether they succeed.',
    `To opt out, set "enabled: false" here, run "${settings.cli.bin} telemetry off", or set DO_NOT_TRACK=1.`,
  ]
  if (settings.privacyUrl) lines.push(`Privacy policy: ${settings.privacyUrl}`)
  return lines.map((line) => `# ${line}`).join('\n') + '\n'
}

function freshConfigText(settings: Settings, enabled: boolean, instanceId = uuidv4()): string {
  return `${configHeader(settings)}instance_id: ${instanceId}\nenabled: ${enabled}\n`
}

/** Best effort: a read-only cache only means the slow path runs again next time. */
function saveSnapshot(paths: Paths, snapshot: Snapshot): void {
  try {
    writeFileAtomic(paths.snapshotFile, JSON.stringify(snapshot))
  } catch {
    // Ignored on purpose: see above.
  }
}

/**
 * loadSharedConfig's slow path: parses the file and snapshots the result under `key` (the file as
 * it was stat'ed; undefined when it could not be, or is a directory: what is wrong is said here).
 */
export function readAndSnapshot(paths: Paths, key: string | undefined): SharedConfigState {
  const {readable, state} = readSharedConfigFile(paths.configFile)
  // A read that failed may succeed next time with the file unchanged (EMFILE, EIO): never cache that.
  if (readable && key !== undefined) saveSnapshot(paths, {key, state})
  return state
}

/**
 * What the file says now. Not snapshotted here: the next loadSharedConfig does that, with the key
 * it stat'ed (snapshot.ts stays off this module, which is loaded apart from every command's path).
 */
function reread(paths: Paths): SharedConfigState {
  return readSharedConfigFile(paths.configFile).state
}

/**
 * Creates the config if it does not exist. Many processes may race here on a fresh machine: each
 * writes a private temporary file and hard-links it into place, which fails for all but one, so
 * exactly one file (and one instance id) results, complete from the moment it is visible.
 */
export function createSharedConfig(paths: Paths, settings: Settings): {created: boolean; state: SharedConfigState} {
  ensureDir(paths.configDir)
  const tmp = `${paths.configFile}.${process.pid}.${Date.now()}.tmp`
  writeFileSync(tmp, freshConfigText(settings, true), {mode: 0o600})
  let created = false
  try {
    linkSync(tmp, paths.configFile)
    created = true
  } catch (error) {
    const {code} = error as NodeJS.ErrnoException
    // File systems without hard links: an exclusive create is still one winner, just not atomic.
    if (code !== 'EEXIST') {
      try {
        writeFileSync(paths.configFile, readFileSync(tmp), {flag: 'wx', mode: 0o600})
        created = true
      } catch {
        // Lost the race after all: read the winner's file below.
      }
    }
  } finally {
    unlinkSync(tmp)
  }

  return {created, state: reread(paths)}
}

export interface EnabledChange {
  /** Where an invalid file was copied before it was replaced. */
  backup?: string
  previous: SharedConfigState
  state: SharedConfigState
}

/**
 * Replaces the file's content in one step. A config that is a symbolic link (dotfiles kept in a
 * repository) stays one: the file it points to is replaced, not the link.
 */
function rewrite(file: string, text: string): void {
  let target = file
  try {
    target = realpathSync(file)
  } catch {
    // Missing, or a link to nothing: the file itself.
  }

  writeFileAtomic(target, text)
}

/**
 * Sets `enabled` and nothing else: the user's comments and other keys are kept. A missing file is
 * created; an invalid one is copied aside and replaced, since the user asked for a decision.
 */
export function setEnabled(paths: Paths, settings: Settings, enabled: boolean): EnabledChange {
  const {state: previous} = readSharedConfigFile(paths.configFile)
  let backup: string | undefined
  if (previous.kind === 'ok') {
    const doc = parseDocument(readFileSync(paths.configFile, 'utf8'))
    if (isDocument(doc)) doc.set('enabled', enabled)
    rewrite(paths.configFile, doc.toString())
  } else {
    ensureDir(paths.configDir)
    if (previous.kind === 'invalid') backup = backupInvalid(paths.configFile)
    rewrite(paths.configFile, freshConfigText(settings, enabled))
  }

  chmodSync(paths.configFile, 0o600)
  return {backup, previous, state: reread(paths)}
}

/** Gives this machine a new instance id (after a deletion request), keeping everything else. */
export function rotateInstanceId(paths: Paths): SharedConfigState {
  // Never writes a config from scratch here: that would turn telemetry on without a notice.
  const text = readFileSync(paths.configFile, 'utf8')
  if (parseSharedConfig(text).kind !== 'ok') throw new Error(`${paths.configFile} changed while deleting`)
  const doc = parseDocument(text)
  doc.set('instance_id', uuidv4())
  rewrite(paths.configFile, doc.toString())
  return reread(paths)
}

function backupInvalid(file: string): string | undefined {
  const backup = `${file}.invalid-${Date.now()}`
  try {
    copyFileSync(file, backup)
    return backup
  } catch {
    // A directory or an unreadable file cannot be copied; the rename below moves a directory aside.
    try {
      renameSync(file, backup)
      return backup
    } catch {
      return undefined
    }
  }
}
