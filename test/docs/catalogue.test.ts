import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {after, describe, it} from 'node:test'
import {fileURLToPath} from 'node:url'

import {initialise, runCli} from '../helpers/cli.js'
import {cleanSandboxes, makeSandbox} from '../helpers/sandbox.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const DOC = join(root, 'docs', 'data-catalogue.md')
const SCHEMA = join(root, 'collector', 'src', 'schema', 'message.schema.json')

interface Row {
  description: string
  required: string
  type: string
}

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
function schemaFields(schema: ObjectSchema & {properties: {payload: ObjectSchema}}): Map<string, Row> {
  const fields = new Map<string, Row>()
  const add = (object: ObjectSchema, prefix: string) => {
    const required = new Set(object.required ?? [])
    for (const [name, spec] of Object.entries(object.properties)) {
      fields.set(prefix + name, {
        description: (spec.description ?? '').replaceAll(/\s*\n\s*/g, ' '),
        required: required.has(name) ? 'yes' : 'no',
        type: Array.isArray(spec.type) ? spec.type.join(' or ') : (spec.type ?? 'any'),
      })
    }
  }

  add(schema, '')
  add(schema.properties.payload, 'payload.')
  return fields
}

/** Every way the documented envelope differs from the schema, as sentences. */
function envelopeDrift(doc: string, schema: any): string[] {
  const rows = tableRows(doc, '<!-- catalogue:generated:start', '<!-- catalogue:generated:end -->')
  const fields = schemaFields(schema)
  const problems: string[] = []
  for (const [name, want] of fields) {
    const cells = rows.get(name)
    if (!cells) {
      problems.push(`${name} is in the schema but not in the catalogue`)
      continue
    }

    const [, quotedType, required, , description] = cells
    const type = unquote(quotedType)
    if (type !== want.type) problems.push(`${name}: type is ${want.type} in the schema, ${type} in the catalogue`)
    if (required !== want.required)
      problems.push(`${name}: required is ${want.required} in the schema, ${required} in the catalogue`)
    if (description !== want.description) problems.push(`${name}: the description differs from the schema's`)
  }

  for (const name of rows.keys())
    if (!fields.has(name)) problems.push(`${name} is in the catalogue but not in the schema`)
  return problems
}

after(cleanSandboxes)

describe('docs/data-catalogue.md', () => {
  const doc = readFileSync(DOC, 'utf8')
  const schema = JSON.parse(readFileSync(SCHEMA, 'utf8'))

  it('documents every field of the collector schema with its type, required-ness and description', () => {
    assert.deepEqual(envelopeDrift(doc, schema), [], 'run `npm run docs:catalogue` after changing the schema')
  })

  it('notices drift: a field missing, a type, required-ness or description changed', () => {
    const changed = structuredClone(schema)
    delete changed.properties.session_id
    changed.properties.product.type = 'integer'
    changed.required.push('message_id')
    changed.properties.payload.properties.event.description = 'Something else.'
    changed.properties.payload.properties.extra = {description: 'new', type: 'string'}
    assert.deepEqual(envelopeDrift(doc, changed), [
      'product: type is integer in the schema, string in the catalogue',
      'message_id: required is yes in the schema, no in the catalogue',
      "payload.event: the description differs from the schema's",
      'payload.extra is in the schema but not in the catalogue',
      'session_id is in the catalogue but not in the schema',
    ])
  })

  it('is what `npm run docs:catalogue` generates (node scripts/catalogue.js --check)', () => {
    const check = spawnSync(process.execPath, [join(root, 'scripts', 'catalogue.js'), '--check'], {encoding: 'utf8'})
    assert.equal(check.status, 0, check.stderr + check.stdout)
  })

  it('documents exactly the properties of a command event recorded through the fixture CLI', async () => {
    const sandbox = makeSandbox()
    await initialise(sandbox)
    const run = await runCli(sandbox, ['deploy', 'web', '--force', '--name', 'v2'], {env: {CHEF_TELEMETRY_DEBUG: '1'}})
    assert.equal(run.code, 0, run.stderr)
    const line = run.stderr.split('\n').find((l) => l.startsWith('[telemetry] {'))
    assert.ok(line, `no [telemetry] {json} line on stderr:\n${run.stderr}`)
    const message = JSON.parse(line.slice('[telemetry] '.length))
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
    assert.ok(!line.includes('web') && !line.includes('v2'), line)
  })

  it('names every outcome the plugin records', () => {
    const rows = tableRows(doc, '<!-- catalogue:command-properties:start', '<!-- catalogue:command-properties:end -->')
    const outcome = rows.get('outcome')?.[2] ?? ''
    for (const value of ['success', 'failure', 'not_found', 'help', 'version'])
      assert.ok(outcome.includes(`\`${value}\``), `outcome ${value} is not documented`)
  })
})
