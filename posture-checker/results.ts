import type { PostureResult } from './types'

/** Key order of every NDJSON line: Cloudflare's log fields, then our diagnostics. */
const RESULT_KEYS: ReadonlyArray<keyof PostureResult> = [
  'ClientVersion',
  'DeviceID',
  'DeviceManufacturer',
  'DeviceModel',
  'DeviceName',
  'DeviceSerialNumber',
  'DeviceType',
  'Email',
  'OSVersion',
  'PolicyID',
  'PostureCheckName',
  'PostureCheckType',
  'PostureEvaluatedResult',
  'PostureExpectedJSON',
  'PostureReceivedJSON',
  'Timestamp',
  'UserUID',
  'status',
  'reason',
  'detail',
  'matchedWs1Id',
  'matchedWs1Uuid',
  'candidates',
  'fresh',
  'evaluatedAt',
  'evaluated',
  'poll',
]

/**
 * Serialises results as NDJSON: one JSON object per line in a fixed key
 * order, each line ending in "\n". Optional fields that are unset are left
 * out. `extraFields` are added to every line after the result's own keys,
 * for example the scenario a result came from.
 */
export function toNdjson(results: PostureResult[], extraFields: Record<string, unknown> = {}): string {
  return results
    .map((result) => {
      const ordered: Record<string, unknown> = {}
      for (const key of RESULT_KEYS) {
        if (result[key] !== undefined) ordered[key] = result[key]
      }
      return `${JSON.stringify({ ...ordered, ...extraFields })}\n`
    })
    .join('')
}
