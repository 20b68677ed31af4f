import {randomUUID} from 'node:crypto'

import type {TelemetryMessage} from '../../src/store/message.js'

export interface MessageOverrides extends Partial<Omit<TelemetryMessage, 'payload'>> {
  payload?: Partial<TelemetryMessage['payload']>
  properties?: Record<string, unknown>
}

/** A valid `command` event as the plugin sends it. */
export function commandMessage(overrides: MessageOverrides = {}): TelemetryMessage {
  const instanceId = overrides.instance_id ?? randomUUID()
  const {payload, properties, ...top} = overrides
  return {
    instance_id: instanceId,
    license_id: '00000000-0000-0000-0000-000000000000',
    message_id: randomUUID(),
    message_version: 1,
    origin: 'command-line',
    payload: {
      anonymousId: instanceId,
      event: 'command',
      properties: {
        arch: 'x64',
        args: 2,
        ci: null,
        cli: 'mycli',
        cli_version: '1.0.0',
        command: 'deploy',
        duration_ms: 12,
        error: null,
        exit_code: 0,
        flags: ['force', 'name'],
        node: '20.20.2',
        os: 'linux',
        os_release: '6.1.0',
        outcome: 'success',
        plugin: null,
        plugin_version: null,
        tty: false,
        unknown_flags: 0,
        ...properties,
      },
      ...payload,
    },
    payload_version: 1,
    product: 'mycli',
    product_version: '1.0.0',
    session_id: randomUUID(),
    timestamp: new Date().toISOString(),
    type: 'track',
    ...top,
  }
}

/** What Chef's Ruby client sends: one message, no message_id, timestamp in whole seconds. */
export function rubyMessage(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const instanceId = randomUUID()
  return {
    install_context: 'omnibus',
    instance_id: instanceId,
    license_id: '00000000-0000-0000-0000-000000000000',
    message_version: 1,
    origin: 'command-line',
    payload: {event: 'install-time', properties: {install_time: 1500, timestamp: '2017-02-06T17:25:42Z'}},
    payload_version: 1,
    product: 'chefdk',
    product_version: '2.0.1',
    session_id: randomUUID(),
    timestamp: '2017-02-06T17:25:42Z',
    type: 'track',
    ...overrides,
  }
}

export function batch(n: number, overrides: MessageOverrides = {}): TelemetryMessage[] {
  return Array.from({length: n}, () => commandMessage(overrides))
}
