import {randomUUID} from 'node:crypto'

import type {TelemetryMessage} from '../../../src/store/message.js'

import {commandMessage} from '../../support/messages.js'

const DAY_MS = 86_400_000

/** A small deterministic generator (Park-Miller): the same store every run. */
function random(seed: number): () => number {
  let state = seed
  return () => {
    state = (state * 48_271) % 2_147_483_647
    return (state - 1) / 2_147_483_646
  }
}

const PRODUCTS = [
  {
    commands: ['converge', 'verify', 'destroy', 'create', 'list', 'login'],
    name: 'kitchen',
    versions: ['3.5.0', '3.6.0', '3.7.1'],
  },
  {commands: ['upload', 'bootstrap', 'node:list', 'ssh', 'search'], name: 'knife', versions: ['18.1.0', '18.2.0']},
  {commands: ['install', 'update', 'push', 'show'], name: 'berks', versions: ['8.0.0', '8.0.1']},
]
const OSES = ['linux', 'linux', 'linux', 'darwin', 'darwin', 'win32']
const ARCHES = ['x64', 'x64', 'arm64']
const NODES = ['20.20.2', '22.12.0', '22.12.0']
const CIS = [null, null, null, 'GitHub Actions', 'Jenkins']
const ERRORS = ['CLIError', 'CLIError', 'TypeError', 'ExitError']
const COOKBOOKS = ['apache2', 'nginx', 'mysql', 'postgresql', 'java', 'docker', 'users', 'ntp']
const BOXES = ['bento/ubuntu-24.04', 'bento/debian-12', 'bento/rockylinux-9']

export interface Dataset {
  /** First and last UTC day with events. */
  from: string
  messages: TelemetryMessage[]
  to: string
}

/**
 * Realistic usage over the last `days` days: three products with a few versions each (newer
 * versions more common later), sessions of consecutive commands, failures with error classes,
 * help and unknown commands, and the RFC's custom events (cookbooks, vagrant boxes).
 */
export function dataset(options: {days?: number; instances?: number; now?: number; seed?: number} = {}): Dataset {
  const days = options.days ?? 60
  const now = options.now ?? Date.now()
  const rand = random(options.seed ?? 11)
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]
  const messages: TelemetryMessage[] = []
  const start = now - days * DAY_MS

  for (let i = 0; i < (options.instances ?? 60); i++) {
    const instance = randomUUID()
    const product = PRODUCTS[i % PRODUCTS.length]
    const environment = {arch: pick(ARCHES), ci: pick(CIS), node: pick(NODES), os: pick(OSES)}
    const sessions = 2 + Math.floor(rand() * 8)
    for (let s = 0; s < sessions; s++) {
      const sessionId = randomUUID()
      let time = start + rand() * (days - 0.2) * DAY_MS
      // Later sessions run later versions: adoption over time.
      const age = (time - start) / (days * DAY_MS)
      const version =
        product.versions[
          Math.min(product.versions.length - 1, Math.floor(age * product.versions.length + rand() * 0.8))
        ]
      const length = 1 + Math.floor(rand() * 5)
      for (let c = 0; c < length; c++) {
        time += 5000 + rand() * 60_000
        const roll = rand()
        const command = pick(product.commands)
        let properties: Record<string, unknown> = {
          command,
          duration_ms: Math.round(50 + rand() ** 3 * 5000),
          outcome: 'success',
        }
        if (roll < 0.08) properties = {...properties, error: pick(ERRORS), exit_code: 1, outcome: 'failure'}
        else if (roll < 0.11)
          properties = {
            command: null,
            duration_ms: 40,
            error: 'CLIError',
            exit_code: 127,
            outcome: 'not_found',
            suggestion: command,
          }
        else if (roll < 0.14) properties = {command: rand() < 0.5 ? command : null, duration_ms: 60, outcome: 'help'}
        messages.push(
          commandMessage({
            instance_id: instance,
            product: product.name,
            product_version: version,
            properties: {...environment, ...properties, cli: product.name, cli_version: version},
            session_id: sessionId,
            timestamp: new Date(time).toISOString(),
          }),
        )
        if (product.name === 'kitchen' && command === 'converge') {
          const context = {instance, product: product.name, session: sessionId, time, version}
          messages.push(
            customEvent(context, 'cookbook_used', {cookbook: pick(COOKBOOKS)}),
            customEvent(context, 'vagrant_box', {box: pick(BOXES)}),
          )
        }
      }
    }
  }

  const days_ = messages.map((m) => m.timestamp.slice(0, 10)).sort()
  return {from: days_[0], messages, to: days_.at(-1)!}
}

function customEvent(
  context: {instance: string; product: string; session: string; time: number; version: string},
  event: string,
  properties: Record<string, unknown>,
): TelemetryMessage {
  const {instance, product, session, time, version} = context
  const base = commandMessage({
    instance_id: instance,
    product,
    product_version: version,
    session_id: session,
    timestamp: new Date(time + 1000).toISOString(),
  })
  return {...base, payload: {anonymousId: instance, event, properties}}
}
