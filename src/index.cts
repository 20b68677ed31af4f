// The package's entry for CommonJS hosts (`require('oclif-plugin-telemetry')`, which is what an oclif
// CLI compiled to CommonJS does), built to dist/index.cjs. Node.js before 20.19 and 22.12 cannot
// require() an ES module, so this file is CommonJS and takes the ES module by import(): the same
// module instance as the hooks', which oclif imported, so track() finds the run they recorded.
// Types only: the attribute lets a CommonJS file name an ES module's types (they are the same).
import type * as esm from './index.js' with {'resolution-mode': 'import'}

export type {Message, PropertyValue, Settings} from './index.js' with {'resolution-mode': 'import'}

export const track: typeof esm.track = async (...args) => {
  const {track} = await import('./index.js')
  return track(...args)
}
