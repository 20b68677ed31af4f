import assert from 'node:assert/strict'
import {createRequire} from 'node:module'
import {describe, it} from 'node:test'

import {messageSchema, messageSchemaPath} from '../src/schema/index.js'
import {deriveMessageId} from '../src/store/message.js'
import {checkMessage, isRfc3339DateTime} from '../src/validate.js'
import {commandMessage, rubyMessage} from './support/messages.js'

type Schema = {description?: string; properties?: Record<string, Schema>}

describe('message schema', () => {
  it('is exported as oclif-telemetry-collector/schema', () => {
    const require = createRequire(import.meta.url)
    assert.equal(require.resolve('oclif-telemetry-collector/schema'), messageSchemaPath)
    assert.deepEqual(require('oclif-telemetry-collector/schema'), messageSchema)
  })

  it('describes every property (the data catalogue is generated from it)', () => {
    const missing: string[] = []
    const walk = (schema: Schema, path: string) => {
      if (!schema.description) missing.push(path || '(root)')
      for (const [name, child] of Object.entries(schema.properties ?? {})) walk(child, path ? `${path}.${name}` : name)
    }

    walk(messageSchema as Schema, '')
    assert.deepEqual(missing, [])
  })

  it("accepts the plugin's command events and Chef's Ruby client messages", () => {
    assert.equal(typeof checkMessage(commandMessage()), 'object')
    assert.equal(
      typeof checkMessage(
        commandMessage({
          properties: {agent: 'Claude Code', ci: 'GitHub Actions', error: 'ValidationError', outcome: 'failure'},
        }),
      ),
      'object',
    )
    assert.equal(typeof checkMessage(rubyMessage()), 'object')
    const minimal = rubyMessage()
    delete minimal.session_id
    delete minimal.product_version
    delete minimal.install_context
    minimal.payload = {event: 'x'}
    assert.equal(typeof checkMessage(minimal), 'object')
  })

  it('extracts the indexed columns', () => {
    const m = commandMessage({
      instance_id: 'AAAAAAAA-0000-4000-8000-000000000000',
      timestamp: '2026-03-01T23:30:00-02:00',
    })
    const row = checkMessage(m)
    assert.ok(typeof row === 'object')
    assert.equal(row.instanceId, 'aaaaaaaa-0000-4000-8000-000000000000')
    assert.equal(row.day, '2026-03-02')
    assert.equal(row.timestamp, '2026-03-02T01:30:00.000Z')
    assert.equal(row.command, 'deploy')
    assert.equal(row.os, 'linux')
    const noCommand = checkMessage(commandMessage({properties: {command: 42, os: ['linux']}}))
    assert.ok(typeof noCommand === 'object')
    assert.equal(noCommand.command, null)
    assert.equal(noCommand.os, null)
  })

  it('derives the same id from the same message whatever its key order', () => {
    const a = rubyMessage()
    const b = Object.fromEntries(Object.entries(a).reverse())
    assert.equal(deriveMessageId(a), deriveMessageId(b))
    assert.notEqual(deriveMessageId(a), deriveMessageId({...a, product: 'other'}))
  })

  it('checks RFC 3339 date-times strictly', () => {
    for (const ok of [
      '2017-02-06T17:25:42Z',
      '2026-11-28T05:12:14.123Z',
      '2024-02-29T00:00:00+05:30',
      '2026-01-01t00:00:00z',
    ]) {
      assert.equal(isRfc3339DateTime(ok), true, ok)
    }

    for (const bad of [
      '2023-02-29T00:00:00Z',
      '2026-01-01T24:00:00Z',
      '2026-01-01T00:00:60Z',
      '2026-01-01T00:00:00+25:00',
      '2026-1-1T00:00:00Z',
    ]) {
      assert.equal(isRfc3339DateTime(bad), false, bad)
    }
  })
})
