/**
 * The match and evaluate step of a poll as one pure function, so callers and
 * benchmarks can run it over records that are already fetched and read.
 */
import { buildFreshResults, statusFromMatch, type DeviceStatus } from './evaluate'
import { matchDevice, SerialIndex, type DuplicateSerialPolicy } from './match'
import type { Ws1Record } from './records'
import type { CloudflareDevice, PostureResult, PostureRule } from './types'

/** Settings of evaluateDevices; each has the default of the matching CheckerOptions field. */
export interface DeviceEvaluationOptions {
  /** Policy for several records with one serial (default 'unknown'). */
  duplicateSerials?: DuplicateSerialPolicy
  /** Treat never-evaluated devices as unknown instead of compliant (default false). */
  strictUnevaluated?: boolean
  /** Maximum age of LastSeen in milliseconds; undefined turns the check off (default). */
  maxLastSeenAgeMs?: number | undefined
  /** Poll number written into every result (default 1). */
  poll?: number
}

/**
 * Matches every Cloudflare device to `records` by serial number and
 * evaluates each rule on it, as one complete poll does. Returns fresh
 * results in device order and, within a device, in rule order, with
 * Timestamp and evaluatedAt set to `now` (epoch ms). Pure: it reads no clock
 * and makes no request. Read raw search rows with readWs1Record first.
 */
export function evaluateDevices(
  records: readonly Ws1Record[],
  devices: readonly CloudflareDevice[],
  rules: readonly PostureRule[],
  options: DeviceEvaluationOptions,
  now: number,
): PostureResult[] {
  const statuses = evaluateStatuses(records, devices, options, now)
  return buildFreshResults(devices, statuses, rules, options.poll ?? 1, now)
}

/** Returns the status of each device, in the order of `devices`, before any rule. */
export function evaluateStatuses(
  records: readonly Ws1Record[],
  devices: readonly CloudflareDevice[],
  options: DeviceEvaluationOptions,
  now: number,
): DeviceStatus[] {
  const index = new SerialIndex(records)
  const policy = options.duplicateSerials ?? 'unknown'
  const evaluation = {
    now,
    strictUnevaluated: options.strictUnevaluated ?? false,
    maxLastSeenAgeMs: options.maxLastSeenAgeMs,
  }
  return devices.map((device) => statusFromMatch(device, matchDevice(device, index, policy), evaluation))
}
