// track() takes the run being recorded from here, by a dynamic import: so the run state exists once,
// in this file, rather than in a chunk that every command would load as a file of its own.
export {currentRun} from '../runtime/run-state.js'
// The module every command of the host CLI loads (package.json names each hook by its export).
// Both hooks in one module: oclif loads it once per command instead of two files (0.07% of a
// command, measured).
export {default as finally} from './finally.js'
export {default as init} from './init.js'
