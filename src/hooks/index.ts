import type {RunState} from '../runtime/run-state.js'

// track() takes the run being recorded from here, by a dynamic import: so the run state exists once,
// in this file, and events are queued by the same file as the command's.
export {currentRun} from '../runtime/run-state.js'

/** Queues a custom event of the run being recorded, for track(). */
export async function enqueueEvent(run: RunState, event: string, properties: Record<string, unknown>): Promise<void> {
  const {enqueue} = await import('../runtime/record.js')
  await enqueue(run, event, properties)
}

// The module every command of the host CLI loads (package.json names each hook by its export).
// Both hooks in one module: oclif loads it once per command instead of two files (0.07% of a
// command, measured).
export {default as finally} from './finally.js'
export {default as init} from './init.js'
