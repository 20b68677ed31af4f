import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {type FlagDefinition, summarizeArgv} from '../../src/events/flags.js'

const flags: Record<string, FlagDefinition> = {
  force: {char: 'f', type: 'boolean'},
  name: {aliases: ['release'], char: 'n', type: 'option'},
  password: {type: 'option'},
  verbose: {allowNo: true, char: 'v', type: 'boolean'},
}

describe('summarizeArgv', () => {
  const cases: Array<[string[], ReturnType<typeof summarizeArgv>]> = [
    [[], {args: 0, flags: [], unknownFlags: 0}],
    [['app', 'target'], {args: 2, flags: [], unknownFlags: 0}],
    [['--password', 's3cret', 'app'], {args: 1, flags: ['password'], unknownFlags: 0}],
    [['--password=s3cret', 'app'], {args: 1, flags: ['password'], unknownFlags: 0}],
    [['-n', 'x', '-nY', '--release', 'z'], {args: 0, flags: ['name'], unknownFlags: 0}],
    [['-fv', 'app'], {args: 1, flags: ['force', 'verbose'], unknownFlags: 0}],
    [['-fnvalue', 'app'], {args: 1, flags: ['force', 'name'], unknownFlags: 0}],
    [['-fn', 'value', 'app'], {args: 1, flags: ['force', 'name'], unknownFlags: 0}],
    [['--no-verbose'], {args: 0, flags: ['verbose'], unknownFlags: 0}],
    [['--no-force'], {args: 0, flags: [], unknownFlags: 1}],
    [['--tokn=abc', '-x', 'app'], {args: 1, flags: [], unknownFlags: 2}],
    [['--', '--password', 'x'], {args: 2, flags: [], unknownFlags: 0}],
    [['-'], {args: 1, flags: [], unknownFlags: 0}],
  ]
  for (const [argv, expected] of cases) {
    it(JSON.stringify(argv), () => assert.deepEqual(summarizeArgv(argv, flags), expected))
  }

  it('never returns a value, whatever the input', () => {
    const summary = JSON.stringify(
      summarizeArgv(['--password', 'CANARY1', '-nCANARY2', '--name=CANARY3', 'CANARY4', '--x=CANARY5'], flags),
    )
    assert.doesNotMatch(summary, /CANARY/)
  })
})
