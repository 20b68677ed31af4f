import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {after, describe, it} from 'node:test'
import {fileURLToPath} from 'node:url'

import {COMMAND_OUTCOMES} from '../../src/events/command.js'
import {initialise, runCli} from '../helpers/cli.js'
import {debugEvents} from '../helpers/process.js'
import {cleanSandboxes, makeSandbox} from '../helpers/sandbox.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const DOC = join(root, 'docs', 'data-catalogue.md')
const SCHEMA = join(root, 'collector', 'src', 'schema', 'message.schema.json')

type ObjectSchema = {properties: Record<string, {description?: string; type?: string | string[]}>; required?: string[]}

const unescape = (text: string) => text.replaceAll(String.raw`\|`, '|').trim()
const unquote = (text: string) => text.replace(/^`(.*)`$/, '$1')

/** The rows of the markdown tables between two markers, by their first cell (a `code` name). */
function tableRows(doc: string, start: string, end: string): Map<string, string[]> {
  const from = doc.indexOf(start)
  const to = doc.indexOf(end)
  assert.ok(from !== -1 && to > from, `docs/data-catalogue.md lacks the markers ${start} ... ${end}`)
  const rows = new Map<string, string[]>()
  for (const line of doc.slice(from, to).split('\n')) {
    if (!line.startsWith('| `')) continue
    const cells = line
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((c) => unescape(c))
    const name = unquote(cells[0])
    assert.ok(!rows.has(name), `docs/data-catalogue.md documents ${name} twice`)
    rows.set(name, cells)
  }

  return rows
}

/** The fields the schema defines, flattened: top-level names and `payload.<name>`. */
function schemaFields(schema: ObjectSchema & {properties: {payload: ObjectSchema}}): Set<string> {
  return new Set([
    ...Object.keys(schema.properties),
    ...Object.keys(schema.properties.payload.properties).map((name) => `payload.${name}`),
  ])
}

after(cleanSandboxes)

describe('docs/data-catalogue.md', () => {
  const doc = readFileSync(DOC, 'utf8')
  const schema = JSON.parse(readFileSync(SCHEMA, 'utf8'))

  it('is what `npm run docs:catalogue` generates (node scripts/catalogue.js --check)', () => {
    const check = spawnSync(process.execPath, [join(root, 'scripts', 'catalogue.js'), '--check'], {encoding: 'utf8'})
    assert.equal(check.status, 0, check.stderr + check.stdout)
  })

  it('documents exactly the properties of a command event recorded through the fixture CLI', async () => {
    const sandbox = makeSandbox()
    await initialise(sandbox)
    const run = await runCli(sandbox, ['deploy', 'web', '--force', '--name', 'v2'], {env: {CHEF_TELEMETRY_DEBUG: '1'}})
    assert.equal(run.code, 0, run.stderr)
    const events = debugEvents(run.stderr)
    assert.equal(events.length, 1, `one [telemetry] {json} line on stderr:\n${run.stderr}`)
    const [message] = events
    assert.equal(message.payload.event, 'command')

    const documented = [
      ...tableRows(doc, '<!-- catalogue:command-properties:start', '<!-- catalogue:command-properties:end -->').keys(),
    ]
    const recorded = Object.keys(message.payload.properties)
    assert.deepEqual(
      [...documented].sort(),
      [...recorded].sort(),
      'the command properties in docs/data-catalogue.md differ from those of a recorded event',
    )

    // The envelope the plugin sends uses only fields the schema (and so the catalogue) defines.
    const fields = schemaFields(schema)
    for (const key of Object.keys(message))
      assert.ok(fields.has(key), `the plugin sends ${key}, which the schema lacks`)
    for (const key of Object.keys(message.payload))
      assert.ok(fields.has(`payload.${key}`), `the plugin sends payload.${key}`)

    // Values the user typed appear nowhere in the event.
    const line = JSON.stringify(message)
    assert.ok(!line.includes('web') && !line.includes('v2'), line)
  })

  it('names exactly the outcomes the plugin records', () => {
    const rows = tableRows(doc, '<!-- catalogue:command-properties:start', '<!-- catalogue:command-properties:end -->')
    const description = rows.get('outcome')?.[2] ?? ''
    // Each outcome is described as `name` (what it means).
    const documented = [...description.matchAll(/`(\w+)` \(/g)].map((match) => match[1])
    assert.deepEqual(documented.sort(), [...COMMAND_OUTCOMES].sort())
  })
})
