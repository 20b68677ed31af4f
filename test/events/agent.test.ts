import assert from 'node:assert/strict'
import {after, describe, it} from 'node:test'

import {AGENT_NAMES, codingAgent} from '../../src/events/agent.js'
import {initialise, runCli} from '../helpers/cli.js'
import {debugEvents} from '../helpers/process.js'
import {cleanSandboxes, makeSandbox} from '../helpers/sandbox.js'

after(cleanSandboxes)

describe('codingAgent', () => {
  const cases: Array<[NodeJS.ProcessEnv, null | string]> = [
    [{}, null],
    [{CLAUDECODE: '1'}, 'Claude Code'],
    [{CURSOR_AGENT: '1'}, 'Cursor'],
    [{CURSOR_TRACE_ID: 'abc', PAGER: 'head -n 10000 | cat'}, 'Cursor'],
    // Cursor's terminal alone is a person typing in it.
    [{CURSOR_TRACE_ID: 'abc'}, null],
    [{COPILOT_AGENT_ACTION: 'fix'}, 'GitHub Copilot'],
    [{GIT_PAGER: 'cat', TERM_PROGRAM: 'vscode'}, 'GitHub Copilot'],
    [{TERM_PROGRAM: 'vscode'}, null],
    [{CODEX_SANDBOX: 'seatbelt'}, 'OpenAI Codex CLI'],
    [{CODEX_SANDBOX_NETWORK_DISABLED: '1'}, 'OpenAI Codex CLI'],
    [{CODEX_THREAD_ID: '0199-thread'}, 'OpenAI Codex CLI'],
    [{GEMINI_CLI: '1'}, 'Gemini CLI'],
    [{CLINE_ACTIVE: 'true'}, 'Cline'],
    [{CLINE_ACTIVE: 'false'}, null],
    [{CODEIUM_EDITOR_APP_ROOT: '/opt/windsurf'}, 'Windsurf'],
    [{OPENCODE_CLIENT: 'cli'}, 'OpenCode'],
    [{AUGMENT_AGENT: '1'}, 'Augment'],
    [{PAGER: 'cat', TERM_PROGRAM: 'zed'}, 'Zed'],
    [{AI_AGENT: 'claude-code'}, 'Claude Code'],
    [{AI_AGENT: 'github-copilot-cli'}, 'GitHub Copilot'],
    [{AI_AGENT: 'Cursor-CLI@2'}, 'Cursor'],
    [{AI_AGENT: 'my-private-agent@acme-internal'}, 'other'],
    [{AI_AGENT: '  '}, null],
    [{CLAUDECODE: ''}, null],
    // The first marker in the table wins.
    [{CLAUDECODE: '1', GEMINI_CLI: '1'}, 'Claude Code'],
    // The AIDER_* variables are the user's own settings: a person typing has them too.
    [{AIDER_API_KEY: 'sk-x', AIDER_MODEL: 'gpt-4o'}, null],
  ]
  for (const [env, expected] of cases) {
    it(`${JSON.stringify(env)} -> ${expected}`, () => assert.equal(codingAgent(env), expected))
  }

  it('only ever returns one of the documented names', () => {
    for (const [env] of cases) {
      const agent = codingAgent(env)
      assert.ok(agent === null || AGENT_NAMES.includes(agent), String(agent))
    }
  })
})

describe('the agent property of a recorded command', () => {
  it('names the agent that ran it, and carries no value of its variables', async () => {
    const sandbox = makeSandbox()
    await initialise(sandbox)
    const secret = 'thread-4f9c-secret-value'
    const env = {AI_AGENT: 'acme-agent-secret', CHEF_TELEMETRY_DEBUG: '1', CODEX_THREAD_ID: secret}
    const run = await runCli(sandbox, ['hello'], {env})
    assert.equal(run.code, 0, run.stderr)
    assert.equal(run.stdout, 'hello\n')
    const [event] = debugEvents(run.stderr)
    assert.equal(event.payload.properties.agent, 'OpenAI Codex CLI')
    const line = JSON.stringify(event)
    assert.ok(!line.includes(secret) && !line.includes('acme'), line)

    const other = debugEvents(
      (await runCli(sandbox, ['hello'], {env: {AI_AGENT: 'acme-agent', CHEF_TELEMETRY_DEBUG: '1'}})).stderr,
    )
    assert.equal(other[0].payload.properties.agent, 'other')
  })

  it('is null when no agent ran it', async () => {
    const sandbox = makeSandbox()
    await initialise(sandbox)
    const [event] = debugEvents((await runCli(sandbox, ['hello'], {env: {CHEF_TELEMETRY_DEBUG: '1'}})).stderr)
    assert.equal(event.payload.properties.agent, null)
  })
})
