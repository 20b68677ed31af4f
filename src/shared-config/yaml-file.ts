// The shared config's YAML file: parsed and written here only. Loaded only when the file is created,
// changed or not yet snapshotted: `yaml` and `uuid` cost tens of milliseconds to import.
import {linkSync, lstatSync, readFileSync, realpathSync, renameSync, statSync, unlinkSync, writeFileSync} from 'node:fs'
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

/** A config that is a link the plugin must not write through; its message says what to do. */
export class UnsafeLinkError extends Error {
  readonly code = 'EUNSAFELINK'
}

/**
 * Where a rewrite of the config goes. A symbolic link (dotfiles kept in a repository) is followed only
 * to a regular file owned by the user running the command: run as root (sudo keeping HOME, CI, a shared
 * volume), a link could otherwise have the plugin overwrite, and copy aside, any file of the machine.
 * A link to nothing is replaced by the file itself, as a missing file is created.
 */
function writeTarget(file: string): string {
  try {
    if (!lstatSync(file).isSymbolicLink()) return file
  } catch {
    return file // missing
  }

  let target: string
  try {
    target = realpathSync(file)
  } catch {
    return file // a link to nothing: rename() replaces the link itself, never what it names
  }

  const stat = statSync(target)
  const uid = process.getuid?.()
  if (stat.isFile() && (uid === undefined || stat.uid === uid)) return target
  const what = stat.isFile() ? `a file owned by another user (uid ${stat.uid})` : 'not a regular file'
  throw new UnsafeLinkError(
    `it is a symbolic link to ${target}, ${what}; it was left untouched. ` +
      `Replace the link with a file of your own, or point it to one`,
  )
}

/**
 * Sets `enabled` and nothing else: the user's comments and other keys are kept. A missing file is
 * created; an invalid one is copied aside and replaced, since the user asked for a decision.
 */
export function setEnabled(paths: Paths, settings: Settings, enabled: boolean): EnabledChange {
  // Checked before anything is read, copied or written. The rename into place gives the file mode
  // 0600 (writeFileAtomic), so nothing is ever chmod'ed, through a link or not.
  const target = writeTarget(paths.configFile)
  const {state: previous} = readSharedConfigFile(target)
  let backup: string | undefined
  if (previous.kind === 'ok') {
    const doc = parseDocument(readFileSync(target, 'utf8'))
    if (isDocument(doc)) doc.set('enabled', enabled)
    writeFileAtomic(target, doc.toString())
  } else {
    ensureDir(paths.configDir)
    if (previous.kind === 'invalid') backup = backupInvalid(paths.configFile, target)
    writeFileAtomic(target, freshConfigText(settings, enabled))
  }

  return {backup, previous, state: reread(paths)}
}

/** Gives this machine a new instance id (after a deletion request), keeping everything else. */
export function rotateInstanceId(paths: Paths): SharedConfigState {
  // Never writes a config from scratch here: that would turn telemetry on without a notice.
  const text = readFileSync(paths.configFile, 'utf8')
  if (parseSharedConfig(text).kind !== 'ok') throw new Error(`${paths.configFile} changed while deleting`)
  const doc = parseDocument(text)
  doc.set('instance_id', uuidv4())
  writeFileAtomic(writeTarget(paths.configFile), doc.toString())
  return reread(paths)
}

/** A copy of the unusable config beside it, private (0600) as the config: it may hold anything. */
function backupInvalid(file: string, target: string): string | undefined {
  const backup = `${file}.invalid-${Date.now()}`
  try {
    writeFileSync(backup, readFileSync(target), {flag: 'wx', mode: 0o600})
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
