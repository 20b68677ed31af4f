// `--help` for every benchmark: prints the run script's opening comment (what it measures, its
// flags) and exits, before anything heavy is loaded or started.
import {readFileSync} from 'node:fs'

/** Call first thing in a run script with `import.meta.url`. */
export function helpAndExitWhenAsked(scriptUrl) {
  if (!process.argv.includes('--help') && !process.argv.includes('-h')) return
  const lines = readFileSync(new URL(scriptUrl), 'utf8').split('\n').slice(1)
  const end = lines.findIndex((line) => !line.startsWith('//'))
  const comment = lines.slice(0, end === -1 ? lines.length : end).map((line) => line.replace(/^\/\/ ?/, ''))
  process.stdout.write(`${comment.join('\n')}\n`)
  // eslint-disable-next-line n/no-process-exit, unicorn/no-process-exit -- a script's own --help
  process.exit(0)
}
