#!/usr/bin/env node
// Generates the message tables of docs/data-catalogue.md from the collector's JSON Schema, so the
// catalogue and what the collector accepts cannot drift apart.
//   node scripts/catalogue.js          rewrite the generated section (between the markers)
//   node scripts/catalogue.js --check  exit 1 when the section is not what the schema gives
// test/docs/catalogue.test.ts runs the check.
import {readFileSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {format, resolveConfig} from 'prettier'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
export const SCHEMA_PATH = join(root, 'collector', 'src', 'schema', 'message.schema.json')
export const DOC_PATH = join(root, 'docs', 'data-catalogue.md')
export const START = '<!-- catalogue:generated:start (node scripts/catalogue.js; do not edit by hand) -->'
export const END = '<!-- catalogue:generated:end -->'

/** A message as the plugin sends it (the RFC's sample message): the examples column. */
const EXAMPLE = {
  install_context: 'omnibus',
  instance_id: '2f1c6c1e-6a0b-4d5e-9c1f-6f9a3e2b7d40',
  license_id: '00000000-0000-0000-0000-000000000000',
  message_id: 'c133069d-acf3-4993-af19-3f1697daa71c',
  message_version: 1,
  origin: 'command-line',
  payload: {
    anonymousId: '2f1c6c1e-6a0b-4d5e-9c1f-6f9a3e2b7d40',
    event: 'command',
    properties: {command: 'deploy', outcome: 'success'},
  },
  payload_version: 1,
  product: 'mycli',
  product_version: '1.2.3',
  session_id: '8b0d7a9e-3c4f-4e21-a1b7-5d2c9e8f6a13',
  timestamp: '2026-11-28T05:12:14.123Z',
  type: 'track',
}

const cell = (text) =>
  String(text)
    .replaceAll('|', String.raw`\|`)
    .replaceAll(/\s*\n\s*/g, ' ')
const code = (value) => '`' + cell(value) + '`'

function typeOf(spec) {
  return Array.isArray(spec.type) ? spec.type.join(' or ') : (spec.type ?? 'any')
}

function constraints(spec) {
  const out = []
  if (spec.format) out.push(`format ${spec.format}`)
  if (spec.const !== undefined) out.push(`always ${JSON.stringify(spec.const)}`)
  if (spec.enum) out.push(`one of ${spec.enum.map((v) => JSON.stringify(v)).join(', ')}`)
  if (spec.minLength !== undefined) out.push(`at least ${spec.minLength} character${spec.minLength === 1 ? '' : 's'}`)
  if (spec.maxLength !== undefined) out.push(`at most ${spec.maxLength} characters`)
  if (spec.additionalProperties === false) out.push('no other keys')
  return out.length > 0 ? out.join('; ') : ''
}

function example(value) {
  if (value === undefined) return ''
  return code(JSON.stringify(value))
}

/** One table row per property of an object schema, in the schema's order. */
function table(objectSpec, prefix, sample) {
  const required = new Set(objectSpec.required ?? [])
  const rows = [
    '| Field | Type | Required | Constraints | Description | Example |',
    '| ----- | ---- | -------- | ----------- | ----------- | ------- |',
  ]
  for (const [name, spec] of Object.entries(objectSpec.properties ?? {})) {
    rows.push(
      `| ${code(prefix + name)} | ${code(typeOf(spec))} | ${required.has(name) ? 'yes' : 'no'} | ${cell(constraints(spec))} | ${cell(spec.description ?? '')} | ${example(sample?.[name])} |`,
    )
  }

  return rows.join('\n')
}

export function generate(schema) {
  const {payload} = schema.properties
  return [
    START,
    '',
    `Generated from [\`collector/src/schema/message.schema.json\`](../collector/src/schema/message.schema.json) (${cell(schema.$schema ?? 'JSON Schema')}).`,
    '',
    `**The message.** ${cell(schema.description ?? '')}`,
    '',
    table(schema, '', EXAMPLE),
    '',
    `**The payload.** ${cell(payload.description ?? '')}`,
    '',
    table(payload, 'payload.', EXAMPLE.payload),
    '',
    END,
  ].join('\n')
}

/** The doc with its generated section replaced; throws when the markers are missing. */
export function render(doc, schema) {
  const start = doc.indexOf(START)
  const end = doc.indexOf(END)
  if (start === -1 || end === -1 || end < start)
    throw new Error(`${DOC_PATH}: the markers ${START} ... ${END} are missing`)
  return doc.slice(0, start) + generate(schema) + doc.slice(end + END.length)
}

/** The whole doc as prettier formats it (the repository's lint checks docs/ with prettier). */
export async function renderFormatted(doc, schema) {
  const options = (await resolveConfig(DOC_PATH)) ?? {}
  return format(render(doc, schema), {...options, filepath: DOC_PATH})
}

async function main() {
  const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8'))
  const doc = readFileSync(DOC_PATH, 'utf8')
  const next = await renderFormatted(doc, schema)
  if (process.argv.includes('--check')) {
    if (next !== doc) {
      console.error('docs/data-catalogue.md is out of date with the collector schema: run `npm run docs:catalogue`')
      process.exitCode = 1
      return
    }

    console.log('docs/data-catalogue.md matches the collector schema')
    return
  }

  if (next === doc) console.log('docs/data-catalogue.md is up to date')
  else {
    writeFileSync(DOC_PATH, next)
    console.log('docs/data-catalogue.md: generated section rewritten')
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main()
