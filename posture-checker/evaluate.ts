/**
 * Turning a match into a compliance status, and a status into a rule
 * verdict. Pure functions: the time is passed in.
 */
import { toRfc3339 } from './clock'
import { isEnrolled, WS1_PLATFORMS, type MatchResult } from './match'
import { parseWs1Date, type ComplianceFlag, type Ws1Record } from './records'
import type { CloudflareDevice, CloudflarePlatform, ComplianceStatus, PostureResult, PostureRule, ResultReason } from './types'

/** A device's compliance status as the provider data supports it, before any rule. */
export interface DeviceStatus {
  status: ComplianceStatus
  reason: ResultReason
  detail: string
  evaluated?: boolean | undefined
  matchedWs1Id: number | null
  matchedWs1Uuid: string | null
  candidates?: Array<{ id: number; uuid: string; enrollmentStatus: string }>
}

/**
 * Builds a status with the same keys in the same order every time. On Node
 * 20.20, `{ ...base, status, ... }` measured about 4 µs per status, roughly
 * a hundred times this literal, and it ran once per device per poll.
 */
function makeStatus(
  record: Ws1Record | null,
  status: ComplianceStatus,
  reason: ResultReason,
  detail: string,
  evaluated?: boolean,
): DeviceStatus {
  return {
    status,
    reason,
    detail,
    evaluated,
    matchedWs1Id: record === null ? null : record.id,
    matchedWs1Uuid: record === null ? null : record.uuid,
  }
}

export interface EvaluationOptions {
  now: number
  strictUnevaluated: boolean
  maxLastSeenAgeMs: number | undefined
}

/**
 * Derives the status of one Workspace ONE record. Order: enrolment, last
 * seen age (when enabled), then the compliance flags, then ComplianceStatus
 * for a record without flags.
 */
export function statusFromRecord(record: Ws1Record, options: EvaluationOptions): DeviceStatus {
  if (record.enrollmentStatus !== null && !isEnrolled(record)) {
    return makeStatus(record, 'unknown', 'not_enrolled', `EnrollmentStatus is ${record.enrollmentStatus}`)
  }
  if (options.maxLastSeenAgeMs !== undefined) {
    const stale = lastSeenProblem(record, options.now, options.maxLastSeenAgeMs)
    if (stale !== undefined) return makeStatus(record, 'unknown', 'stale_last_seen', stale)
  }
  const flags = record.flags
  if (flags !== null) return statusFromFlags(record, flags)
  return statusWithoutFlags(record, options)
}

/** Detail of a record whose flags all pass, shared per flag count to spare one string per device. */
const ALL_FLAGS_PASS_DETAILS: string[] = []

function allFlagsPassDetail(count: number): string {
  let detail = ALL_FLAGS_PASS_DETAILS[count]
  if (detail === undefined) {
    detail = count === 1 ? 'the one compliance flag passes' : `all ${count} compliance flags pass`
    if (count < 64) ALL_FLAGS_PASS_DETAILS[count] = detail
  }
  return detail
}

function statusFromFlags(record: Ws1Record, flags: readonly ComplianceFlag[]): DeviceStatus {
  // Count first: most records pass, and then no list or name string is built.
  let failedCount = 0
  let pendingCount = 0
  for (const flag of flags) {
    if (flag.pending) pendingCount++
    else if (flag.compliant !== true) failedCount++
  }
  if (failedCount > 0) {
    const failed = flags.filter((flag) => flag.compliant !== true && !flag.pending)
    const names = failed.map((flag) => (flag.compliant === null ? `${flag.name} (no result)` : flag.name))
    return makeStatus(record, 'noncompliant', 'flag_failed', `failing compliance flags: ${names.join(', ')}`, true)
  }
  if (pendingCount > 0) {
    const names = flags.filter((flag) => flag.pending).map((flag) => flag.name).join(', ')
    return makeStatus(record, 'noncompliant', 'flag_pending', `compliance evaluation pending: ${names}`, true)
  }
  if (isNonCompliantStatus(record.complianceStatus)) {
    // The flags passed but the device-level status disagrees; fail closed.
    return makeStatus(
      record,
      'noncompliant',
      'not_compliant_status',
      `${flags.length === 1 ? 'the one compliance flag passes' : `all ${flags.length} compliance flags pass`} but ComplianceStatus is ${record.complianceStatus}`,
      true,
    )
  }
  return makeStatus(record, 'compliant', 'all_flags_pass', allFlagsPassDetail(flags.length), true)
}

function statusWithoutFlags(record: Ws1Record, options: EvaluationOptions): DeviceStatus {
  const reported = record.complianceStatus
  if (reported !== null && reported.toUpperCase() === 'COMPLIANT') {
    if (options.strictUnevaluated) {
      return makeStatus(
        record,
        'unknown',
        'never_evaluated',
        'ComplianceStatus is Compliant but no compliance policy was ever evaluated (strict mode)',
        false,
      )
    }
    return makeStatus(record, 'compliant', 'never_evaluated', 'ComplianceStatus is Compliant but no compliance policy was ever evaluated', false)
  }
  if (isNonCompliantStatus(reported)) {
    return makeStatus(record, 'noncompliant', 'not_compliant_status', `ComplianceStatus is ${reported}`, false)
  }
  const detail = reported === null ? 'record has no ComplianceStatus and no compliance flags' : `ComplianceStatus is ${reported}`
  return makeStatus(record, 'unknown', 'not_compliant_status', detail, false)
}

function isNonCompliantStatus(value: string | null): boolean {
  if (value === null) return false
  // Most records contain exactly "Compliant", so they skip the normalising copy.
  if (value === 'Compliant') return false
  return value.replace(/[\s_-]/g, '').toUpperCase() === 'NONCOMPLIANT'
}

function lastSeenProblem(record: Ws1Record, now: number, maxAgeMs: number): string | undefined {
  const lastSeen = parseWs1Date(record.lastSeenValue)
  if (lastSeen === null) return 'record has no LastSeen time'
  const ageMs = now - lastSeen
  if (ageMs <= maxAgeMs) return undefined
  return `last seen ${toRfc3339(lastSeen)}, ${formatAge(ageMs)} ago, longer than the allowed ${formatAge(maxAgeMs)}`
}

/**
 * Formats a span exactly as days, hours, minutes and seconds, for example
 * "19d 0h 0m" or "3h 0m 1s". Seconds appear only when they are not zero,
 * with milliseconds as a decimal fraction ("0h 0m 0.25s").
 */
export function formatAge(ms: number): string {
  const totalMinutes = Math.floor(ms / 60_000)
  const days = Math.floor(totalMinutes / 1440)
  const hours = Math.floor((totalMinutes % 1440) / 60)
  const minutes = totalMinutes % 60
  const text = days > 0 ? `${days}d ${hours}h ${minutes}m` : `${hours}h ${minutes}m`
  const secondsMs = ms - totalMinutes * 60_000
  return secondsMs === 0 ? text : `${text} ${secondsMs / 1000}s`
}

/** Details added to every status derived by a single lookup by serial. */
export const LOOKUP_DETAIL =
  'looked up by serial; that endpoint returns one record, so duplicate serials cannot be detected'

/** Derives a device's status from its match. */
export function statusFromMatch(
  device: CloudflareDevice,
  match: MatchResult,
  options: EvaluationOptions,
): DeviceStatus {
  switch (match.kind) {
    case 'no_serial':
      return makeStatus(null, 'unknown', 'no_serial', 'WARP reported no serial number')
    case 'placeholder':
      return makeStatus(
        null,
        'unknown',
        'placeholder_serial',
        `serial ${JSON.stringify(match.serial)} is a firmware placeholder and never matches`,
      )
    case 'not_found':
      return makeStatus(null, 'unknown', 'not_found', 'no Workspace ONE record has this serial number')
    case 'ambiguous': {
      const status = makeStatus(null, 'unknown', 'duplicate_serial', `${match.candidates.length} Workspace ONE records share this serial number`)
      status.candidates = match.candidates.map((record) => ({
        id: record.id ?? 0,
        uuid: record.uuid ?? '',
        enrollmentStatus: record.enrollmentStatus ?? '',
      }))
      return status
    }
    case 'single': {
      const status = statusFromRecord(match.record, options)
      const mismatch = platformMismatch(device, match.record)
      // The status is a new object, so the common case of nothing to add returns it as is.
      if (match.ignored.length === 0 && mismatch === undefined) return status
      const notes: string[] = [status.detail]
      if (match.ignored.length > 0) {
        notes.push(`ignored ${match.ignored.length} record(s) with this serial that are not Enrolled`)
      }
      if (mismatch !== undefined) notes.push(mismatch)
      status.detail = notes.join('; ')
      return status
    }
  }
}

function platformMismatch(device: CloudflareDevice, record: Ws1Record): string | undefined {
  if (record.platform === null) return undefined
  const expected = WS1_PLATFORMS[device.platform]
  // Workspace ONE normally spells the name exactly as listed; compare case-insensitively only otherwise.
  if (expected.includes(record.platform)) return undefined
  const platform = record.platform.toUpperCase()
  if (expected.some((name) => name.toUpperCase() === platform)) return undefined
  return `Workspace ONE platform ${record.platform} does not correspond to WARP platform ${device.platform}`
}

/** True when the rule has no platform list or lists the device's platform. */
export function ruleApplies(rule: PostureRule, device: CloudflareDevice): boolean {
  if (rule.match === undefined || rule.match.length === 0) return true
  return rule.match.some((entry) => entry.platform === device.platform)
}

export interface ResultContext {
  poll: number
  /** Time of this poll's publication. */
  now: number
  fresh: boolean
  evaluatedAt: number
}

/** Fields that every result of one rule shares, computed once per poll instead of once per device. */
interface RulePlan {
  rule: PostureRule
  policyId: string
  expected: ComplianceStatus
  expectedJson: string
  /** Platforms the rule applies to; undefined when it applies to all. */
  platforms: readonly CloudflarePlatform[] | undefined
}

function planRule(rule: PostureRule): RulePlan {
  const expected = rule.input.compliance_status
  return {
    rule,
    policyId: rule.id ?? rule.name,
    expected,
    expectedJson: JSON.stringify({ compliance_status: expected }),
    platforms: rule.match === undefined || rule.match.length === 0 ? undefined : rule.match.map((entry) => entry.platform),
  }
}

const RECEIVED_JSON: Record<ComplianceStatus, string> = {
  compliant: JSON.stringify({ compliance_status: 'compliant' }),
  noncompliant: JSON.stringify({ compliance_status: 'noncompliant' }),
  unknown: JSON.stringify({ compliance_status: 'unknown' }),
}

/**
 * Builds the result of one planned rule on one device. `timestamp` and
 * `evaluatedAt` are RFC 3339 texts; the key order is the published order.
 */
function resultFromPlan(
  device: CloudflareDevice,
  plan: RulePlan,
  status: DeviceStatus,
  poll: number,
  fresh: boolean,
  timestamp: string,
  evaluatedAt: string,
): PostureResult {
  let passed = status.status === plan.expected
  let reason = status.reason
  let detail = status.detail
  if (plan.platforms !== undefined && !plan.platforms.includes(device.platform)) {
    passed = false
    reason = 'platform_not_matched'
    detail = `rule applies to ${plan.platforms.join(', ')}; device platform is ${device.platform}`
  }
  const result: PostureResult = {
    ClientVersion: '',
    DeviceID: device.device_id,
    DeviceManufacturer: device.manufacturer ?? '',
    DeviceModel: device.model ?? '',
    DeviceName: device.name ?? '',
    DeviceSerialNumber: device.serial_number ?? '',
    DeviceType: device.platform,
    Email: device.email ?? '',
    OSVersion: device.os_version ?? '',
    PolicyID: plan.policyId,
    PostureCheckName: plan.rule.name,
    PostureCheckType: 'workspace_one',
    PostureEvaluatedResult: passed,
    PostureExpectedJSON: plan.expectedJson,
    PostureReceivedJSON: RECEIVED_JSON[status.status],
    Timestamp: timestamp,
    UserUID: device.user_uid ?? '',
    status: status.status,
    reason,
    detail,
    matchedWs1Id: status.matchedWs1Id,
    matchedWs1Uuid: status.matchedWs1Uuid,
    fresh,
    evaluatedAt,
    poll,
  }
  if (status.candidates !== undefined) result.candidates = status.candidates
  if (status.evaluated !== undefined) result.evaluated = status.evaluated
  return result
}

/**
 * Builds the posture result of one rule on one device. A rule whose platform
 * list excludes the device yields PostureEvaluatedResult false with reason
 * platform_not_matched; Cloudflare would not run such a rule at all.
 */
export function buildResult(
  device: CloudflareDevice,
  rule: PostureRule,
  status: DeviceStatus,
  context: ResultContext,
): PostureResult {
  const timestamp = toRfc3339(context.now)
  const evaluatedAt = context.evaluatedAt === context.now ? timestamp : toRfc3339(context.evaluatedAt)
  return resultFromPlan(device, planRule(rule), status, context.poll, context.fresh, timestamp, evaluatedAt)
}

/**
 * Builds the fresh results of a poll evaluated at `now`: for each device in
 * order, one result per rule in order, the same as buildResult per pair.
 * `statuses[i]` is the status of `devices[i]`.
 */
export function buildFreshResults(
  devices: readonly CloudflareDevice[],
  statuses: readonly DeviceStatus[],
  rules: readonly PostureRule[],
  poll: number,
  now: number,
): PostureResult[] {
  const plans = rules.map(planRule)
  const timestamp = toRfc3339(now)
  const results: PostureResult[] = []
  devices.forEach((device, index) => {
    const status = statuses[index]
    if (status === undefined) return
    for (const plan of plans) results.push(resultFromPlan(device, plan, status, poll, true, timestamp, timestamp))
  })
  return results
}
