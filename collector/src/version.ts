/** The collector's version, from its package.json (shown by --version and /healthz). */
import {readFileSync} from 'node:fs'

export const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {version: string}
).version
