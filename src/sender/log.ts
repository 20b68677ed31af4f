import {appendFileSync, readFileSync, statSync} from 'node:fs'

import {writeFileAtomic} from '../files.js'

const MAX_BYTES = 64 * 1024

/**
 * The background sender has no terminal: what it did goes to a small log beside the queue (never a
 * message body), for `telemetry status` and for anyone wondering. Only its newest half is kept.
 */
export function logTo(file: string): (entry: Record<string, unknown>) => void {
  return (entry) => {
    try {
      appendFileSync(file, JSON.stringify({pid: process.pid, time: new Date().toISOString(), ...entry}) + '\n', {
        mode: 0o600,
      })
      if (statSync(file).size > MAX_BYTES) {
        const text = readFileSync(file, 'utf8')
        writeFileAtomic(file, text.slice(text.indexOf('\n', text.length - MAX_BYTES / 2) + 1))
      }
    } catch {
      // A log that cannot be written must not stop delivery.
    }
  }
}
