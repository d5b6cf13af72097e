import type { PostureResult } from '../posture-checker/types'
import { formatTable, plural, type Palette } from './format'

/** Stable key of one result: one Cloudflare device under one rule. */
export function resultKey(result: PostureResult): string {
  return `${result.DeviceID}\u0000${result.PolicyID}\u0000${result.PostureCheckName}`
}

function colorStatus(status: string, palette: Palette): string {
  if (status === 'compliant') return palette.green(status)
  if (status === 'noncompliant') return palette.red(status)
  return palette.yellow(status)
}

/**
 * Returns whether a result was carried over from an earlier poll. A failed
 * poll also marks a device without an earlier result fresh:false, but that
 * result was computed now, so it is not stale.
 */
function isCarried(result: PostureResult): boolean {
  return !result.fresh && result.evaluatedAt !== result.Timestamp
}

function colorVerdict(pass: boolean, palette: Palette): string {
  return pass ? palette.green('pass') : palette.red('fail')
}

/** Formats results as a table: device, serial, platform, rule, status, verdict, reason and detail. */
export function formatVerdictTable(results: readonly PostureResult[], palette: Palette): string {
  const header = ['DEVICE', 'SERIAL', 'TYPE', 'RULE', 'STATUS', 'RESULT', 'REASON', 'WS1 ID', 'DETAIL']
  const rows = results.map((result) => [
    result.DeviceName || result.DeviceID,
    result.DeviceSerialNumber === '' ? '-' : JSON.stringify(result.DeviceSerialNumber),
    result.DeviceType,
    result.PostureCheckName,
    colorStatus(result.status, palette),
    colorVerdict(result.PostureEvaluatedResult, palette),
    isCarried(result) ? `${result.reason} (stale)` : result.reason,
    result.matchedWs1Id === null ? '-' : String(result.matchedWs1Id),
    result.detail,
  ])
  return formatTable(header.map((cell) => palette.bold(cell)), rows)
}

/** Counts of results per status and per verdict. */
export interface ResultCounts {
  total: number
  pass: number
  fail: number
  compliant: number
  noncompliant: number
  unknown: number
  stale: number
}

export function countResults(results: readonly PostureResult[]): ResultCounts {
  const counts: ResultCounts = {
    total: 0,
    pass: 0,
    fail: 0,
    compliant: 0,
    noncompliant: 0,
    unknown: 0,
    stale: 0,
  }
  for (const result of results) {
    counts.total += 1
    counts[result.PostureEvaluatedResult ? 'pass' : 'fail'] += 1
    counts[result.status] += 1
    if (isCarried(result)) counts.stale += 1
  }
  return counts
}

export function formatCounts(counts: ResultCounts, palette: Palette): string {
  const parts = [
    plural(counts.total, 'result'),
    palette.green(`${counts.pass} pass`),
    counts.fail > 0 ? palette.red(`${counts.fail} fail`) : `${counts.fail} fail`,
    `${counts.compliant} compliant, ${counts.noncompliant} noncompliant, ${counts.unknown} unknown`,
  ]
  if (counts.stale > 0) parts.push(palette.yellow(`${counts.stale} stale`))
  return parts.join(' · ')
}

/** One result whose status or verdict differs from the previous one for the same device and rule. */
export interface VerdictChange {
  before: PostureResult | undefined
  after: PostureResult
}

/**
 * Lists results whose status, verdict or reason changed since `previous`
 * (keyed by device and rule). A device seen for the first time is a change.
 */
export function diffResults(
  previous: ReadonlyMap<string, PostureResult>,
  next: readonly PostureResult[],
): VerdictChange[] {
  const changes: VerdictChange[] = []
  for (const after of next) {
    const before = previous.get(resultKey(after))
    if (
      before === undefined ||
      before.status !== after.status ||
      before.PostureEvaluatedResult !== after.PostureEvaluatedResult ||
      before.reason !== after.reason
    ) {
      changes.push({ before, after })
    }
  }
  return changes
}

/** Formats one change as `device · rule: compliant/pass -> noncompliant/fail (flag_failed: detail)`. */
export function formatChange(change: VerdictChange, palette: Palette): string {
  const { before, after } = change
  const describe = (result: PostureResult): string =>
    `${colorStatus(result.status, palette)}/${colorVerdict(result.PostureEvaluatedResult, palette)}`
  const from = before === undefined ? palette.dim('new') : describe(before)
  const why = after.detail ? `${after.reason}: ${after.detail}` : after.reason
  const device = after.DeviceName || after.DeviceID
  return `${device} · ${after.PostureCheckName}: ${from} -> ${describe(after)} (${why})`
}

/** Indexes results by device and rule, for the next diffResults call. */
export function indexResults(results: readonly PostureResult[]): Map<string, PostureResult> {
  return new Map(results.map((result) => [resultKey(result), result]))
}
