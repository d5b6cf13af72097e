/**
 * Checks a schema-valid scenario for values that `ws1sim run` would reject
 * only after it starts the emulator, or that would keep it running without
 * bound, so that `ws1sim validate` reports them with file:line:col.
 */
import { MIN_INTERVAL_MS } from '../posture-checker/duration'
import { DEFAULT_INTERVAL } from './defaults'
import { DURATION_PATTERN, formatDurationMs, parseDurationMs } from './duration'
import type { ScenarioSpec } from './spec'
import type { Report } from './validate'
import type { PathSegment } from './yaml-source'

/**
 * Maximum number of polls in one scenario. Every poll's results stay in
 * memory for the report, so run time grows faster than the poll count. With
 * `ws1sim run` on a 2-core machine, 7,201 polls of one device took 14 s and
 * 260 MB, and 86,400 polls had not finished after 10 minutes. A day of
 * 10-second polls fits.
 */
export const MAX_POLLS_PER_SCENARIO = 10_000

/** Minimum poll interval of a scenario: the checker's own minimum, 1 second. */
export const MIN_SCENARIO_INTERVAL_MS = MIN_INTERVAL_MS

const DURATION_RE = new RegExp(DURATION_PATTERN)

/** First id of a generated fleet without `first_id`: the emulator numbers an empty tenant's devices from 1001. */
const DEFAULT_GENERATED_FIRST_ID = 1001

/** Minimum `tenant.token_lifetime`: the emulator counts token lifetimes in whole seconds, from 1. */
const MIN_TOKEN_LIFETIME_MS = 1_000

/** Checks poll count, interval, token lifetime and unique device ids, uuids and client ids. */
export function checkRunLimits(spec: ScenarioSpec, report: Report): void {
  checkDurationSizes(spec, [], report)
  checkPolls(spec, report)
  checkTokenLifetime(spec, report)
  checkDeviceIdentities(spec, report)
  checkClientIds(spec, report)
}

/**
 * Reports durations that match the schema's pattern but are too long to count
 * in milliseconds, which parseDurationMs reads as undefined.
 */
function checkDurationSizes(value: unknown, path: PathSegment[], report: Report): void {
  if (typeof value === 'string') {
    if (DURATION_RE.test(value) && parseDurationMs(value) === undefined) {
      report(path, JSON.stringify(value), 'a duration short enough to count in milliseconds (under about 285,000 years)')
    }
    return
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => checkDurationSizes(item, [...path, index], report))
    return
  }
  if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) checkDurationSizes(item, [...path, key], report)
  }
}

function checkPolls(spec: ScenarioSpec, report: Report): void {
  const intervalText = spec.cloudflare?.integration?.interval ?? DEFAULT_INTERVAL
  const intervalMs = parseDurationMs(intervalText)
  const durationMs = parseDurationMs(spec.duration ?? '0s')
  if (intervalMs === undefined || durationMs === undefined || intervalMs <= 0) return

  if (intervalMs < MIN_SCENARIO_INTERVAL_MS) {
    report(['cloudflare', 'integration', 'interval'], JSON.stringify(intervalText), `an interval of at least ${formatDurationMs(MIN_SCENARIO_INTERVAL_MS)}`)
    return
  }
  const polls = Math.floor(durationMs / intervalMs) + 1
  if (polls > MAX_POLLS_PER_SCENARIO) {
    report(
      ['duration'],
      `duration ${spec.duration ?? '0s'} and interval ${intervalText}, which give ${polls} polls`,
      `at most ${MAX_POLLS_PER_SCENARIO} polls per scenario (a shorter duration or a longer interval)`,
    )
  }
}

function checkTokenLifetime(spec: ScenarioSpec, report: Report): void {
  const text = spec.tenant?.token_lifetime
  if (text === undefined) return
  const ms = parseDurationMs(text)
  if (ms !== undefined && Math.round(ms / 1000) * 1000 < MIN_TOKEN_LIFETIME_MS) {
    report(['tenant', 'token_lifetime'], JSON.stringify(text), 'a token lifetime of at least 1s')
  }
}

/**
 * Reports a repeated explicit device id or uuid in `fleet.devices` and
 * `add_device` steps, and generated fleet ids that collide with explicit ids.
 * The emulator compares uuids without regard to case, and so does this check.
 */
function checkDeviceIdentities(spec: ScenarioSpec, report: Report): void {
  const ids = new Map<number, PathSegment[]>()
  const uuids = new Map<string, PathSegment[]>()
  const entries: Array<{ path: PathSegment[]; id: number | undefined; uuid: string | undefined }> = []
  spec.fleet?.devices?.forEach((device, index) => entries.push({ path: ['fleet', 'devices', index], id: device.id, uuid: device.uuid }))
  spec.timeline?.forEach((step, index) => {
    if (step.add_device) entries.push({ path: ['timeline', index, 'add_device'], id: step.add_device.id, uuid: step.add_device.uuid })
  })

  for (const entry of entries) {
    if (entry.id !== undefined) {
      const earlier = ids.get(entry.id)
      if (earlier !== undefined) {
        report([...entry.path, 'id'], String(entry.id), `a device id not used by ${formatPath(earlier)}; leave id out to get the next free id`)
      } else {
        ids.set(entry.id, entry.path)
      }
    }
    if (entry.uuid !== undefined) {
      const key = entry.uuid.toLowerCase()
      const earlier = uuids.get(key)
      if (earlier !== undefined) {
        report([...entry.path, 'uuid'], JSON.stringify(entry.uuid), `a uuid not used by ${formatPath(earlier)}; leave uuid out to get a new one`)
      } else {
        uuids.set(key, entry.path)
      }
    }
  }

  const generate = spec.fleet?.generate
  if (generate === undefined || generate.count <= 0) return
  const firstId = generate.first_id ?? DEFAULT_GENERATED_FIRST_ID
  const lastId = firstId + generate.count - 1
  spec.fleet?.devices?.forEach((device, index) => {
    if (device.id !== undefined && device.id >= firstId && device.id <= lastId) {
      report(
        ['fleet', 'devices', index, 'id'],
        String(device.id),
        `an id outside ${firstId}..${lastId}, the ids of the generated fleet; change the id or fleet.generate.first_id`,
      )
    }
  })
}

function checkClientIds(spec: ScenarioSpec, report: Report): void {
  const seen = new Set<string>()
  spec.tenant?.clients?.forEach((client, index) => {
    if (seen.has(client.client_id)) {
      report(['tenant', 'clients', index, 'client_id'], JSON.stringify(client.client_id), 'a client id not used by an earlier client')
    }
    seen.add(client.client_id)
  })
}

function formatPath(path: PathSegment[]): string {
  let text = ''
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`
    else text += text === '' ? segment : `.${segment}`
  }
  return text
}
