import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {commandProperties, errorClass, type HostInfo} from '../../src/events/command.js'
import {distance, nearestId} from '../../src/events/suggestion.js'

const host: HostInfo = {
  hasCommand: (id) => id === 'deploy',
  knownIds: () => ['deploy'],
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

describe('the suggestion for an unknown command', () => {
  const known = ['deploy', 'hello', 'release', 'telemetry', 'telemetry:status', 'telemetry:on', 'telemetry:enable']
  const notFound = (id: string) =>
    commandProperties(
      {argv: [], Command: undefined, durationMs: 1, error: new Error(`command ${id} not found`), id},
      {...host, knownIds: () => known},
    )

  for (const [typed, expected] of [
    ['deplyo', 'deploy'],
    ['deplyo:web:prod', 'deploy'],
    ['helo', 'hello'],
    ['relase', 'release'],
    ['telemetry:stauts', 'telemetry:status'],
    ['telemetyr', 'telemetry'],
    ['hunter2', null],
    ['ghp-abc123def456', null],
    ['Secret-Value_123', null],
    ['x'.repeat(10_000), null],
    ['zq:zq:zq:zq:zq:zq:zq:zq', null],
  ] as const) {
    it(`${JSON.stringify(typed.slice(0, 40))} -> ${expected}, and the word typed is never recorded`, () => {
      const properties = notFound(typed)
      assert.deepEqual([properties.command, properties.outcome, properties.suggestion], [null, 'not_found', expected])
      assert.ok(!JSON.stringify(properties).includes(typed.split(':')[0]) || typed.startsWith('telemetry'))
    })
  }

  it('takes the nearest id, and the same one for the same typo', () => {
    assert.equal(nearestId('relase', ['release', 'relate']), 'relate', 'distance 1 beats distance 1 by name order')
    assert.equal(nearestId('deplo', ['deploy', 'develop']), 'deploy')
    assert.equal(nearestId('ab', ['xy']), 'xy', 'two edits away is still near')
    assert.equal(nearestId('abc', ['xyz']), null)
  })

  it('is null for every other outcome, and the ids are not even asked for', () => {
    const asked = {...host, knownIds: () => assert.fail('knownIds asked for a command that was found')}
    for (const input of [
      {Command: Deploy, error: undefined, id: 'deploy'},
      {Command: Deploy, error: new Error('boom'), id: 'deploy'},
      {Command: undefined, error: undefined, id: '--version'},
      {Command: undefined, error: undefined, id: 'deploy'},
    ]) {
      assert.equal(commandProperties({argv: [], durationMs: 1, ...input}, asked).suggestion, null)
    }
  })
})

describe('distance', () => {
  it('is the Levenshtein distance up to the cut-off', () => {
    assert.equal(distance('kitten', 'sitting'), 3)
    assert.equal(distance('kitten', 'sitting', 5), 3)
    assert.equal(distance('flaw', 'lawn'), 2)
    assert.equal(distance('', 'ab'), 2)
    assert.equal(distance('same', 'same'), 0)
  })
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
