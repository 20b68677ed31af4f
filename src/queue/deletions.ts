import {readFileSync} from 'node:fs'

import {writeFileAtomic} from '../files.js'
import {isInstanceId} from '../shared-config/validate.js'

/** Deletion requests the collector has not acknowledged yet, and every instance id they retired. */
export interface Deletions {
  pending: Array<{instanceId: string; requestedAt: string}>
  /** No event under one of these ids is ever sent again, even one recorded while the id changed. */
  retired: string[]
}

const KEEP_RETIRED = 50

type Pending = Deletions['pending'][number]

/** A damaged entry is dropped: its id goes into a URL, and no request could be made of it anyway. */
function isPending(entry: unknown): entry is Pending {
  const {instanceId, requestedAt} = (entry ?? {}) as Partial<Record<keyof Pending, unknown>>
  return isInstanceId(instanceId) && typeof requestedAt === 'string'
}

export function readDeletions(file: string): Deletions {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Record<keyof Deletions, unknown>
    return {
      pending: Array.isArray(parsed.pending)
        ? parsed.pending
            .filter((entry) => isPending(entry))
            .map(({instanceId, requestedAt}) => ({instanceId, requestedAt}))
        : [],
      retired: Array.isArray(parsed.retired) ? parsed.retired.filter((id) => isInstanceId(id)) : [],
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
