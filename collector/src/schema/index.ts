import {existsSync, readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

/**
 * Path of the JSON Schema of one message. The .json file lives in src/schema/ and is
 * published as is (package export `oclif-telemetry-collector/schema`); compiled code in
 * dist/schema/ finds it there too.
 */
export const messageSchemaPath: string = (() => {
  const candidates = ['./message.schema.json', '../../src/schema/message.schema.json']
  for (const candidate of candidates) {
    const path = fileURLToPath(new URL(candidate, import.meta.url))
    if (existsSync(path)) return path
  }

  throw new Error('message.schema.json not found next to the collector')
})()

/** The JSON Schema (draft-07) that validates every message the collector accepts. */
export const messageSchema: Record<string, unknown> = JSON.parse(readFileSync(messageSchemaPath, 'utf8'))
