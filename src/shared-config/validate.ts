/** What the shared config file says, as far as the decision is concerned. */
export type SharedConfigState =
  {enabled: boolean; instanceId: string; kind: 'ok'} | {kind: 'invalid'; reason: string} | {kind: 'missing'}

const UUID = /^[\da-f]{8}-[\da-f]{4}-[1-8][\da-f]{3}-[89ab][\da-f]{3}-[\da-f]{12}$/i

/** An instance id as the shared config holds it: a UUID. */
export function isInstanceId(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value)
}

/** Checks the shape of a parsed config: a mapping with a UUID `instance_id` and a boolean `enabled`. */
export function validateSharedConfig(parsed: unknown): SharedConfigState {
  if (parsed === null || parsed === undefined) return {kind: 'invalid', reason: 'the file is empty'}
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    return {kind: 'invalid', reason: 'expected a mapping of settings (instance_id, enabled)'}
  }

  const {enabled, instance_id: instanceId} = parsed as Record<string, unknown>
  if (!isInstanceId(instanceId)) {
    return {kind: 'invalid', reason: '`instance_id` is missing or not a UUID'}
  }

  if (typeof enabled !== 'boolean') return {kind: 'invalid', reason: '`enabled` must be true or false'}
  return {enabled, instanceId: instanceId.toLowerCase(), kind: 'ok'}
}
