/**
 * A deterministic generator of realistic telemetry: instances of a few products and versions run
 * sessions of commands (a long tail of 50 commands, 5% failures, log-normal durations, unknown
 * commands with suggestions, help) and custom events with a Zipf-distributed `cookbook` property.
 * Each batch is one session of one instance, as the plugin sends it. Used by tests and bench:scale.
 */
/* eslint-disable no-bitwise -- the PRNG */
import type {TelemetryMessage} from '../../src/store/message.js'

export interface FleetOptions {
  /** Spread of the events, ending at `end` (default 90 days). */
  days?: number
  /** Last day (UTC, exclusive), default 2026-11-01. */
  end?: string
  instances?: number
  /** Sessions per active instance-day scale with this (default 1: at most one a day). */
  intensity?: number
  seed?: number
}

/** mulberry32: small, fast, good enough for test data. */
export function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d_2b_79_f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

function uuid(rand: () => number): string {
  const hex = Array.from({length: 32}, () => Math.floor(rand() * 16).toString(16))
  hex[12] = '4'
  hex[16] = '89ab'[Math.floor(rand() * 4)]
  const s = hex.join('')
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`
}

/** Index 0..n-1 with probability proportional to 1/(i+1)^s. */
function zipf(n: number, s: number): (rand: () => number) => number {
  const cumulative: number[] = []
  let total = 0
  for (let i = 0; i < n; i++) cumulative.push((total += 1 / (i + 1) ** s))
  return (rand) => {
    const x = rand() * total
    let lo = 0
    let hi = n - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (cumulative[mid] < x) lo = mid + 1
      else hi = mid
    }

    return lo
  }
}

const PRODUCTS = [
  {name: 'chef', versions: ['18.5.0', '18.6.1', '19.0.0']},
  {name: 'knife', versions: ['18.5.0', '18.6.1']},
  {name: 'kitchen', versions: ['3.6.0', '3.7.1', '3.7.2', '4.0.0']},
  {name: 'inspec', versions: ['5.22.3', '6.6.0']},
  {name: 'habitat', versions: ['1.6.1', '2.0.0', '2.0.3']},
]
const COMMANDS = Array.from({length: 50}, (_, i) =>
  i < 10
    ? ['converge', 'verify', 'destroy', 'create', 'test', 'login', 'list', 'exec', 'init', 'status'][i]
    : `cmd:${i}`,
)
const FLAGS = ['force', 'verbose', 'json', 'color', 'parallel', 'concurrency', 'log-level', 'format']
const ERRORS = ['ConvergeError', 'TimeoutError', 'Errno::ECONNREFUSED', 'ValidationError']
const OSES = [
  {arch: 'x64', os: 'linux', release: '6.1.0'},
  {arch: 'arm64', os: 'darwin', release: '23.4.0'},
  {arch: 'x64', os: 'win32', release: '10.0.22631'},
]
const CIS = [null, null, null, null, 'GitHub Actions', 'Jenkins']
const NODES = ['20.20.2', '22.11.0']
/** The coding agent an instance's commands run under, by instance (most none). */
const AGENTS = [null, null, null, null, null, 'claude-code', null, 'cursor', null, 'codex']

/**
 * Batches in time order: the sessions of one instance on one day (as its queue is flushed), at
 * most 100 events each.
 */
export function* fleet(options: FleetOptions = {}): Generator<TelemetryMessage[]> {
  const rand = random(options.seed ?? 1)
  const days = options.days ?? 90
  const end = Date.parse(`${options.end ?? '2026-11-01'}T00:00:00Z`)
  const start = end - days * 86_400_000
  const pickCommand = zipf(COMMANDS.length, 1.1)
  const pickCookbook = zipf(2000, 1)
  const instances = Array.from({length: options.instances ?? 200}, (_, i) => {
    const product = PRODUCTS[Math.floor(rand() * PRODUCTS.length)]
    return {
      // Taken from the index, not the generator: the rest of the fleet stays as it was.
      agent: AGENTS[i % AGENTS.length],
      ci: CIS[Math.floor(rand() * CIS.length)],
      id: uuid(rand),
      node: NODES[Math.floor(rand() * NODES.length)],
      platform: OSES[Math.floor(rand() * OSES.length)],
      product: product.name,
      // How often this instance works: some daily, most now and then.
      rate: rand() ** 3,
      version: product.versions[Math.floor(rand() * product.versions.length)],
    }
  })
  const intensity = options.intensity ?? 1
  for (let day = 0; day < days; day++) {
    const batches: {messages: TelemetryMessage[]; ts: number}[] = []
    for (const instance of instances) {
      const expected = instance.rate * intensity
      const sessions = Math.floor(expected) + (rand() < expected % 1 ? 1 : 0)
      if (sessions === 0) continue
      const messages: TelemetryMessage[] = []
      let ts = start + day * 86_400_000 + Math.floor(rand() * 40_000_000)
      for (let s = 0; s < sessions; s++) {
        ts += Math.floor(rand() * 3_600_000)
        ts = session(instance, ts, messages)
      }

      for (let i = 0; i < messages.length; i += 100) batches.push({messages: messages.slice(i, i + 100), ts})
    }

    batches.sort((a, b) => a.ts - b.ts)
    for (const b of batches) yield b.messages
  }

  /** One session's events appended to `messages`; returns the time of its last event. */
  function session(instance: (typeof instances)[number], start: number, messages: TelemetryMessage[]): number {
    const sessionId = uuid(rand)
    let ts = start
    const length = 1 + Math.floor(-Math.log(1 - rand()) * 4)
    for (let i = 0; i < Math.min(length, 100); i++) {
      ts += 1000 + Math.floor(rand() * 120_000)
      const base = {
        instance_id: instance.id,
        license_id: '00000000-0000-0000-0000-000000000000',
        message_id: uuid(rand),
        message_version: 1,
        origin: 'command-line',
        payload_version: 1,
        product: instance.product,
        product_version: instance.version,
        session_id: sessionId,
        timestamp: new Date(ts).toISOString(),
        type: 'track' as const,
      }
      if (rand() < 0.1) {
        messages.push({
          ...base,
          payload: {
            anonymousId: instance.id,
            event: 'cookbook_used',
            properties: {cookbook: `cookbook-${pickCookbook(rand)}`, version: `1.${Math.floor(rand() * 5)}.0`},
          },
        })
        continue
      }

      const roll = rand()
      const notFound = roll < 0.02
      const help = !notFound && roll < 0.05
      const failure = !notFound && !help && rand() < 0.05 / 0.95
      const command = notFound ? null : COMMANDS[pickCommand(rand)]
      const flags = FLAGS.filter(() => rand() < 0.15)
      // Log-normal durations: median ~ 800 ms.
      const normal = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand())
      messages.push({
        ...base,
        payload: {
          anonymousId: instance.id,
          event: 'command',
          properties: {
            agent: instance.agent,
            arch: instance.platform.arch,
            args: Math.floor(rand() * 3),
            ci: instance.ci,
            cli: instance.product,
            cli_version: instance.version,
            command,
            duration_ms: Math.round(Math.exp(6.7 + 1.2 * normal)),
            error: failure ? ERRORS[Math.floor(rand() * ERRORS.length)] : null,
            exit_code: failure ? 1 : 0,
            flags,
            node: instance.node,
            os: instance.platform.os,
            os_release: instance.platform.release,
            outcome: notFound ? 'not_found' : help ? 'help' : failure ? 'failure' : 'success',
            plugin: null,
            plugin_version: null,
            suggestion: notFound ? COMMANDS[pickCommand(rand)] : null,
            tty: instance.ci === null,
            unknown_flags: 0,
          },
        },
      })
    }

    return ts
  }
}
