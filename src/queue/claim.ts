// The sender's side of the queue: it claims one file at a time by moving it into `sending/`, so
// commands keep appending to a fresh `current.jsonl` meanwhile, and a file left there by a sender
// that died is the next one's first work (nothing is lost; the collector drops duplicates).
import {existsSync, lstatSync, readFileSync, renameSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {ensureDir} from '../files.js'
import {listSegments, rotateCurrent, SENDING} from './queue.js'

/**
 * How long a just-rotated file is left alone: a command that opened it before the rename may still be
 * writing. Fewer lines written twice, not a guarantee: a command held up longer writes its line again
 * to the new current file (appendLine in queue.ts).
 */
export const SETTLE_MS = 100

/** The next file to send: one left by an earlier sender, else the oldest segment, else the current file. */
export async function claimNext(dir: string): Promise<string | undefined> {
  const sending = join(dir, SENDING)
  const leftover = listSegments(sending)[0]
  if (leftover) return join(sending, leftover)
  const closed = listSegments(dir)[0]
  const segment = closed ?? rotateCurrent(dir)
  if (!segment) return undefined
  // Rotated just now, here or by a command: a command that opened it before may still be writing.
  if (!closed || Date.now() - mtimeMs(join(dir, segment)) < SETTLE_MS) await sleep(SETTLE_MS)

  makeSendingDir(sending)
  const claimed = join(sending, segment)
  try {
    renameSync(join(dir, segment), claimed)
    return claimed
  } catch {
    return undefined
  }
}

export interface ClaimedLine {
  instanceId: string
  text: string
}

/** The messages of a claimed file; lines that are not messages (a damaged file) are counted, not sent. */
export function readClaim(file: string): {corrupt: number; lines: ClaimedLine[]} {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return {corrupt: 0, lines: []}
  }

  const lines: ClaimedLine[] = []
  let corrupt = 0
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    try {
      const message = JSON.parse(line) as {instance_id?: unknown; message_id?: unknown}
      if (typeof message.message_id !== 'string' || typeof message.instance_id !== 'string')
        throw new Error('not a message')
      lines.push({instanceId: message.instance_id, text: line})
    } catch {
      corrupt++
    }
  }

  return {corrupt, lines}
}

/**
 * Keeps what is still to send; removes the file once everything in it is acknowledged or dropped.
 * A file deleted meanwhile (`off`, `delete`) stays deleted: its events must not come back.
 */
export function keepRemaining(file: string, lines: ClaimedLine[]): void {
  if (lines.length === 0 || !existsSync(file)) {
    rmSync(file, {force: true})
    return
  }

  const tmp = `${file}.${process.pid}.tmp`
  try {
    writeFileSync(tmp, lines.map((l) => l.text).join('\n') + '\n', {mode: 0o600})
    renameSync(tmp, file)
  } catch {
    rmSync(tmp, {force: true})
  }
}

/** `sending/`, made again if something else is in its place (damage: the plugin makes nothing else there). */
function makeSendingDir(sending: string): void {
  try {
    if (!lstatSync(sending).isDirectory()) rmSync(sending, {force: true})
  } catch {
    // Not there yet.
  }

  ensureDir(sending)
}

function mtimeMs(file: string): number {
  try {
    return statSync(file).mtimeMs
  } catch {
    return 0
  }
}
