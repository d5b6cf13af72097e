/**
 * Turning a match into a compliance status, and a status into a rule
 * verdict. Pure functions: the time is passed in.
 */
import { toRfc3339 } from './clock'
import { isEnrolled, WS1_PLATFORMS, type MatchResult } from './match'
import type { Ws1Record } from './records'
import type { CloudflareDevice, ComplianceStatus, PostureResult, PostureRule, ResultReason } from './types'

/** A device's compliance status as the provider data supports it, before any rule. */
export interface DeviceStatus {
  status: ComplianceStatus
  reason: ResultReason
  detail: string
  evaluated?: boolean
  matchedWs1Id: number | null
  matchedWs1Uuid: string | null
  candidates?: Array<{ id: number; uuid: string; enrollmentStatus: string }>
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
  const base = { matchedWs1Id: record.id, matchedWs1Uuid: record.uuid }
  if (record.enrollmentStatus !== null && !isEnrolled(record)) {
    return { ...base, status: 'unknown', reason: 'not_enrolled', detail: `EnrollmentStatus is ${record.enrollmentStatus}` }
  }
  if (options.maxLastSeenAgeMs !== undefined) {
    const stale = lastSeenProblem(record, options.now, options.maxLastSeenAgeMs)
    if (stale !== undefined) return { ...base, status: 'unknown', reason: 'stale_last_seen', detail: stale }
  }
  const flags = record.flags
  if (flags !== null) {
    const failed = flags.filter((flag) => flag.compliant !== true && !flag.pending)
    if (failed.length > 0) {
      const names = failed.map((flag) => (flag.compliant === null ? `${flag.name} (no result)` : flag.name))
      return { ...base, status: 'noncompliant', reason: 'flag_failed', detail: `failing compliance flags: ${names.join(', ')}`, evaluated: true }
    }
    const pending = flags.filter((flag) => flag.pending)
    if (pending.length > 0) {
      const names = pending.map((flag) => flag.name).join(', ')
      return { ...base, status: 'noncompliant', reason: 'flag_pending', detail: `compliance evaluation pending: ${names}`, evaluated: true }
    }
    if (isNonCompliantStatus(record.complianceStatus)) {
      // The flags passed but the device-level status disagrees; fail closed.
      return {
        ...base,
        status: 'noncompliant',
        reason: 'not_compliant_status',
        detail: `all ${flags.length} compliance flags pass but ComplianceStatus is ${record.complianceStatus}`,
        evaluated: true,
      }
    }
    return { ...base, status: 'compliant', reason: 'all_flags_pass', detail: `all ${flags.length} compliance flags pass`, evaluated: true }
  }
  return statusWithoutFlags(record, options, base)
}

function statusWithoutFlags(
  record: Ws1Record,
  options: EvaluationOptions,
  base: { matchedWs1Id: number | null; matchedWs1Uuid: string | null },
): DeviceStatus {
  const reported = record.complianceStatus
  if (reported !== null && reported.toUpperCase() === 'COMPLIANT') {
    if (options.strictUnevaluated) {
      return {
        ...base,
        status: 'unknown',
        reason: 'never_evaluated',
        detail: 'ComplianceStatus is Compliant but no compliance policy was ever evaluated (strict mode)',
        evaluated: false,
      }
    }
    return {
      ...base,
      status: 'compliant',
      reason: 'never_evaluated',
      detail: 'ComplianceStatus is Compliant but no compliance policy was ever evaluated',
      evaluated: false,
    }
  }
  if (isNonCompliantStatus(reported)) {
    return { ...base, status: 'noncompliant', reason: 'not_compliant_status', detail: `ComplianceStatus is ${reported}`, evaluated: false }
  }
  return {
    ...base,
    status: 'unknown',
    reason: 'not_compliant_status',
    detail: reported === null ? 'record has no ComplianceStatus and no compliance flags' : `ComplianceStatus is ${reported}`,
    evaluated: false,
  }
}

function isNonCompliantStatus(value: string | null): boolean {
  return value !== null && value.replace(/[\s_-]/g, '').toUpperCase() === 'NONCOMPLIANT'
}

function lastSeenProblem(record: Ws1Record, now: number, maxAgeMs: number): string | undefined {
  if (record.lastSeen === null) return 'record has no LastSeen time'
  const ageMs = now - record.lastSeen
  if (ageMs <= maxAgeMs) return undefined
  return `last seen ${toRfc3339(record.lastSeen)}, ${formatAge(ageMs)} ago, longer than the allowed ${formatAge(maxAgeMs)}`
}

/** Formats a span as days, hours and minutes, for example "19d 0h 0m". */
export function formatAge(ms: number): string {
  const totalMinutes = Math.floor(ms / 60_000)
  const days = Math.floor(totalMinutes / 1440)
  const hours = Math.floor((totalMinutes % 1440) / 60)
  const minutes = totalMinutes % 60
  return days > 0 ? `${days}d ${hours}h ${minutes}m` : `${hours}h ${minutes}m`
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
  const none = { matchedWs1Id: null, matchedWs1Uuid: null }
  switch (match.kind) {
    case 'no_serial':
      return { ...none, status: 'unknown', reason: 'no_serial', detail: 'WARP reported no serial number' }
    case 'placeholder':
      return {
        ...none,
        status: 'unknown',
        reason: 'placeholder_serial',
        detail: `serial ${JSON.stringify(match.serial)} is a firmware placeholder and never matches`,
      }
    case 'not_found':
      return { ...none, status: 'unknown', reason: 'not_found', detail: 'no Workspace ONE record has this serial number' }
    case 'ambiguous':
      return {
        ...none,
        status: 'unknown',
        reason: 'duplicate_serial',
        detail: `${match.candidates.length} Workspace ONE records share this serial number`,
        candidates: match.candidates.map((record) => ({
          id: record.id ?? 0,
          uuid: record.uuid ?? '',
          enrollmentStatus: record.enrollmentStatus ?? '',
        })),
      }
    case 'single': {
      const status = statusFromRecord(match.record, options)
      const notes: string[] = [status.detail]
      if (match.ignored.length > 0) {
        notes.push(`ignored ${match.ignored.length} record(s) with this serial that are not Enrolled`)
      }
      const mismatch = platformMismatch(device, match.record)
      if (mismatch !== undefined) notes.push(mismatch)
      return { ...status, detail: notes.join('; ') }
    }
  }
}

function platformMismatch(device: CloudflareDevice, record: Ws1Record): string | undefined {
  if (record.platform === null) return undefined
  const expected = WS1_PLATFORMS[device.platform]
  if (expected.some((name) => name.toUpperCase() === record.platform?.toUpperCase())) return undefined
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
  const expected = rule.input.compliance_status
  let passed = status.status === expected
  let reason = status.reason
  let detail = status.detail
  if (!ruleApplies(rule, device)) {
    passed = false
    reason = 'platform_not_matched'
    const platforms = (rule.match ?? []).map((entry) => entry.platform).join(', ')
    detail = `rule applies to ${platforms}; device platform is ${device.platform}`
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
    PolicyID: rule.id ?? rule.name,
    PostureCheckName: rule.name,
    PostureCheckType: 'workspace_one',
    PostureEvaluatedResult: passed,
    PostureExpectedJSON: JSON.stringify({ compliance_status: expected }),
    PostureReceivedJSON: JSON.stringify({ compliance_status: status.status }),
    Timestamp: toRfc3339(context.now),
    UserUID: device.user_uid ?? '',
    status: status.status,
    reason,
    detail,
    matchedWs1Id: status.matchedWs1Id,
    matchedWs1Uuid: status.matchedWs1Uuid,
    fresh: context.fresh,
    evaluatedAt: toRfc3339(context.evaluatedAt),
    poll: context.poll,
  }
  if (status.candidates !== undefined) result.candidates = status.candidates
  if (status.evaluated !== undefined) result.evaluated = status.evaluated
  return result
}
