import {readFileSync} from 'node:fs'

import {writeFileAtomic} from '../files.js'

/** Deletion requests the collector has not acknowledged yet, and every instance id they retired. */
export interface Deletions {
  pending: Array<{instanceId: string; requestedAt: string}>
  /** No event under one of these ids is ever sent again, even one recorded while the id changed. */
  retired: string[]
}

const KEEP_RETIRED = 50

export function readDeletions(file: string): Deletions {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<Deletions>
    return {
      pending: Array.isArray(parsed.pending) ? parsed.pending : [],
      retired: Array.isArray(parsed.retired) ? parsed.retired : [],
    }
  } catch {
    return {pending: [], retired: []}
  }
}

export function requestDeletion(file: string, instanceId: string, now = new Date()): void {
  const current = readDeletions(file)
  writeFileAtomic(
    file,
    JSON.stringify({
      pending: [
        ...current.pending.filter((p) => p.instanceId !== instanceId),
        {instanceId, requestedAt: now.toISOString()},
      ],
      retired: [...current.retired.filter((id) => id !== instanceId), instanceId].slice(-KEEP_RETIRED),
    }),
  )
}

export function completeDeletion(file: string, instanceId: string): void {
  const current = readDeletions(file)
  writeFileAtomic(
    file,
    JSON.stringify({...current, pending: current.pending.filter((p) => p.instanceId !== instanceId)}),
  )
}
