// Which coding agent ran the command, from the variables those tools set in the shells they run
// commands in. Environment lookups only, on every recorded command: no import, no file, no process
// tree. Only the agent's name is ever recorded, never a value of these variables (docs/data-catalogue.md
// lists each variable and where it is documented).

/** A variable that must be set (non-empty), or must have exactly this value. */
type Check = [name: string, value?: string]

interface AgentMarker {
  /** Every check must hold. */
  all: Check[]
  name: string
}

// Most specific first: a combination before a variable that the same editor sets for people too.
const MARKERS: AgentMarker[] = [
  {all: [['CLAUDECODE']], name: 'Claude Code'},
  {all: [['CURSOR_AGENT']], name: 'Cursor'},
  {all: [['CURSOR_TRACE_ID'], ['PAGER', 'head -n 10000 | cat']], name: 'Cursor'},
  {all: [['COPILOT_AGENT_ACTION']], name: 'GitHub Copilot'},
  {
    all: [
      ['TERM_PROGRAM', 'vscode'],
      ['GIT_PAGER', 'cat'],
    ],
    name: 'GitHub Copilot',
  },
  {all: [['CODEX_SANDBOX']], name: 'OpenAI Codex CLI'},
  {all: [['CODEX_SANDBOX_NETWORK_DISABLED']], name: 'OpenAI Codex CLI'},
  {all: [['CODEX_THREAD_ID']], name: 'OpenAI Codex CLI'},
  {all: [['GEMINI_CLI']], name: 'Gemini CLI'},
  {all: [['CLINE_ACTIVE', 'true']], name: 'Cline'},
  {all: [['CODEIUM_EDITOR_APP_ROOT']], name: 'Windsurf'},
  {all: [['OPENCODE_CLIENT']], name: 'OpenCode'},
  {all: [['AUGMENT_AGENT']], name: 'Augment'},
  {
    all: [
      ['TERM_PROGRAM', 'zed'],
      ['PAGER', 'cat'],
    ],
    name: 'Zed',
  },
]

// `AI_AGENT` (proposed by Vercel for any agent) holds whatever its tool chose: only values that
// name a known agent are mapped to that name; any other value is recorded as `other`, never itself.
const AI_AGENT_NAMES: Record<string, string> = {
  'claude-code': 'Claude Code',
  codex: 'OpenAI Codex CLI',
  cursor: 'Cursor',
  'cursor-cli': 'Cursor',
  gemini: 'Gemini CLI',
  'gemini-cli': 'Gemini CLI',
  'github-copilot': 'GitHub Copilot',
  'github-copilot-cli': 'GitHub Copilot',
}

/** Every agent name `agent` may hold (besides null): the data catalogue lists the same. */
export const AGENT_NAMES = [...new Set(MARKERS.map((m) => m.name)), 'other']

/** The name of the coding agent that ran this command, or null. */
export function codingAgent(env: NodeJS.ProcessEnv = process.env): null | string {
  for (const {all, name} of MARKERS) {
    if (all.every(([variable, value]) => (value === undefined ? Boolean(env[variable]) : env[variable] === value)))
      return name
  }

  const generic = env.AI_AGENT?.trim().toLowerCase()
  if (!generic) return null
  // A version may follow the name (`devin@1`, as the convention suggests): the name alone is looked up.
  const [name] = generic.split('@')
  return Object.hasOwn(AI_AGENT_NAMES, name) ? AI_AGENT_NAMES[name] : 'other'
}
