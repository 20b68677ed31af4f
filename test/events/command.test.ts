import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {commandProperties, errorClass, type HostInfo, looksLikeCommandId} from '../../src/events/command.js'

const host: HostInfo = {
  hasCommand: (id) => id === 'deploy',
  name: 'mycli',
  pluginVersion: (name) => (name === '@mycli/plugin-extra' ? '2.0.0' : undefined),
  version: '1.2.3',
}
const Deploy = {flags: {force: {type: 'boolean' as const}}, id: 'deploy', pluginName: 'mycli', pluginType: 'core'}

describe('commandProperties', () => {
  it('names core plugins of the CLI, not plugins the user installed', () => {
    const core = commandProperties(
      {
        argv: [],
        Command: {...Deploy, pluginName: '@mycli/plugin-extra'},
        durationMs: 5,
        error: undefined,
        id: 'deploy',
      },
      host,
    )
    assert.deepEqual([core.plugin, core.plugin_version], ['@mycli/plugin-extra', '2.0.0'])
    const user = commandProperties(
      {
        argv: [],
        Command: {...Deploy, pluginName: 'my-private-plugin', pluginType: 'user'},
        durationMs: 5,
        error: undefined,
        id: 'deploy',
      },
      host,
    )
    assert.deepEqual([user.plugin, user.plugin_version], [null, null])
    const own = commandProperties({argv: [], Command: Deploy, durationMs: 5, error: undefined, id: 'deploy'}, host)
    assert.equal(own.plugin, null)
  })

  it('takes the exit code a command set without throwing', () => {
    const result = commandProperties(
      {argv: [], Command: Deploy, durationMs: 1, error: undefined, exitCode: 4, id: 'deploy'},
      host,
    )
    assert.deepEqual([result.outcome, result.exit_code, result.error], ['failure', 4, null])
  })

  it('counts an exit(0) as success', () => {
    const exit = Object.assign(new Error('EEXIT: 0'), {oclif: {exit: 0}})
    const result = commandProperties({argv: [], Command: Deploy, durationMs: 1, error: exit, id: 'deploy'}, host)
    assert.deepEqual([result.outcome, result.exit_code, result.error], ['success', 0, null])
  })

  it('names help for known commands only', () => {
    assert.equal(
      commandProperties({argv: [], Command: undefined, durationMs: 1, error: undefined, id: 'deploy'}, host).command,
      'deploy',
    )
    assert.equal(
      commandProperties({argv: [], Command: undefined, durationMs: 1, error: undefined, id: 'secret'}, host).command,
      null,
    )
  })
})

describe('looksLikeCommandId', () => {
  for (const id of ['deploy', 'plugins:install', 'a-b:c-d']) it(`keeps ${id}`, () => assert.ok(looksLikeCommandId(id)))
  for (const id of [
    'ghp_abc123XYZ',
    'Deploy',
    '/etc/passwd',
    'a@b.c',
    'x'.repeat(41),
    'a b',
    '',
    '1abc',
    'a:b:c:d:e:f',
  ]) {
    it(`drops ${JSON.stringify(id)}`, () => assert.equal(looksLikeCommandId(id), false))
  }
})

describe('errorClass', () => {
  it('is the class name, never the message', () => {
    class DeployFailed extends Error {}
    assert.equal(errorClass(new DeployFailed('password=hunter2')), 'DeployFailed')
    assert.equal(errorClass(new TypeError('x')), 'TypeError')
    assert.equal(errorClass(Object.assign(Object.create(null), {name: 'weird name with spaces'})), 'Error')
    assert.equal(errorClass(), null)
  })
})
