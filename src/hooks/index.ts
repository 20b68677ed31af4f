export {default as finally} from './finally.js'
// Both hooks in one module: oclif loads it once per command instead of two files (0.07% of a
// command, measured). package.json names each export as a hook `identifier`.
export {default as init} from './init.js'
