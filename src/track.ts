import type {HostCli} from './settings.js'

/** What a custom event property may hold: plain values, strings cut to this length. */
export const MAX_STRING = 200

export type PropertyValue = boolean | null | number | string

/**
 * Records a custom event of the host CLI, e.g. `await track(this.config, 'deploy-finished', {targets: 3})`.
 *
 * Only events declared under `oclif.telemetry.events` in the CLI's package.json are kept, and of
 * them only the declared property names with plain values; everything else is dropped before it
 * is written (in debug mode, a line says what was dropped). Nothing is recorded when the command
 * itself is not (telemetry off, first run, `telemetry` commands). Never throws, never waits on the network.
 */
export async function track(config: HostCli, event: string, properties: Record<string, unknown> = {}): Promise<void> {
  try {
    const {currentRun} = await import('./hooks/index.js')
    const run = currentRun(config)
    if (!run) return
    const say = (line: string) => run.debug && run.write(`[telemetry] ${line}\n`)
    const declared = run.settings.events[event]
    if (!declared) {
      say(`dropped the event "${event}": it is not declared in oclif.telemetry.events`)
      return
    }

    const kept: Record<string, PropertyValue> = {}
    const dropped: string[] = []
    for (const [name, value] of Object.entries(properties)) {
      const plain = plainValue(value)
      if (declared.includes(name) && plain !== undefined) kept[name] = plain
      else dropped.push(name)
    }

    if (dropped.length > 0)
      say(`dropped properties of "${event}" not declared or not plain values: ${dropped.join(', ')}`)
    // Through the module that records commands, which holds enqueue(): one chunk fewer to load.
    const {enqueue} = await import('./runtime/record.js')
    await enqueue(run, event, kept)
  } catch {
    // A custom event must never break the command that sends it.
  }
}

function plainValue(value: unknown): PropertyValue | undefined {
  if (value === null || typeof value === 'boolean') return value
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined
  if (typeof value === 'string') return value.slice(0, MAX_STRING)
  return undefined
}
