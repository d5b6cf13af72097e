/**
 * Helpers shared by the serializers: ordered JSON objects that leave out
 * absent (null) values, as Workspace ONE does, and the enumeration numbers of
 * the v3 API.
 */
import type { DevicePolicy } from '../device'
import { formatIsoZ, formatWs1Date } from '../dates'

/** A JSON object whose key order is insertion order. */
export type JsonObject = Record<string, unknown>

/** Sets `key` unless `value` is null or undefined, so absent values leave no key. */
export function put(target: JsonObject, key: string, value: unknown): void {
  if (value !== null && value !== undefined) target[key] = value
}

/** Zone-less v1/v2 date, or null (absent) for null. */
export function ws1Date(ms: number | null): string | null {
  return ms === null ? null : formatWs1Date(ms)
}

/** ISO date with `Z`, or null (absent) for null. */
export function isoDate(ms: number | null): string | null {
  return ms === null ? null : formatIsoZ(ms)
}

/** `{ "Value": id }`, the v1 `EntityId` shape. */
export function entityId(value: number): JsonObject {
  return { Value: value }
}

/** `ActionTaken` entries for a policy. */
export function actionsTaken(policy: DevicePolicy): JsonObject[] {
  return policy.actions.map((actionType) => ({ ActionType: actionType }))
}

/*
 * NOTE: Workspace ONE does not publish what the v3 integer enumerations mean.
 * Only their ranges are known (ownership 1..4, enrollment_status 0..16,
 * compliance_status 0..11, per-policy compliance_status 0..2). The numbers
 * below are the emulator's choice, so clients must not rely on them matching
 * a real tenant.
 */

/** v3 `ownership`: 1 corporate dedicated, 2 employee owned, 3 shared, 4 undefined. */
export const V3_OWNERSHIP: Readonly<Record<string, number>> = { C: 1, E: 2, S: 3, Undefined: 4 }

/** v3 `enrollment_status`, following the console's enrollment state order. */
export const V3_ENROLLMENT_STATUS: Readonly<Record<string, number>> = {
  Unknown: 0,
  Discovered: 1,
  Registered: 2,
  EnrollmentInProgress: 3,
  Enrolled: 4,
  EnterpriseWipePending: 5,
  DeviceWipePending: 6,
  Retired: 7,
  Unenrolled: 8,
}

/** v3 device `compliance_status`: 0 not available, 1 compliant, 2 non-compliant. */
export const V3_COMPLIANCE_STATUS: Readonly<Record<string, number>> = {
  NotAvailable: 0,
  Compliant: 1,
  NonCompliant: 2,
}

/** v3 per-policy `compliance_status`: 0 pending, 1 compliant, 2 non-compliant. */
export function v3PolicyStatus(policy: DevicePolicy): number {
  if (policy.pending) return 0
  return policy.compliant ? 1 : 2
}

/** v2 get-by-uuid enumeration strings (the wire sends strings, not the spec's integers). */
export const V2_ENROLLMENT_STATUS: Readonly<Record<string, string>> = {
  Enrolled: 'ENROLLED',
  Unenrolled: 'UNENROLLED',
  EnrollmentInProgress: 'ENROLLMENT_IN_PROGRESS',
  EnterpriseWipePending: 'ENTERPRISE_WIPE_PENDING',
  DeviceWipePending: 'DEVICE_WIPE_PENDING',
  Retired: 'RETIRED',
}

export const V2_OWNERSHIP: Readonly<Record<string, string>> = {
  C: 'CORPORATE',
  E: 'EMPLOYEE',
  S: 'SHARED',
  Undefined: 'UNDEFINED',
}

/** `ManagedBy` names. Only 1 = "MDM" is seen on the wire, and the others are the emulator's choice. */
export const V2_MANAGED_BY: Readonly<Record<number, string>> = {
  0: 'UNKNOWN',
  1: 'MDM',
  2: 'MAM',
  3: 'MDM_AND_MAM',
}

/** `EasIds` as the wire sends it: `{}` for an empty list, `{"EasId":[...]}` otherwise, null when absent. */
export function easIdsObject(easIds: readonly string[] | null): JsonObject | null {
  if (easIds === null) return null
  if (easIds.length === 0) return {}
  return { EasId: easIds }
}

/** Looks a value up in an enumeration table, falling back to `fallback`. */
export function lookupEnum<T>(table: Readonly<Record<string, T>>, key: string, fallback: T): T {
  return Object.prototype.hasOwnProperty.call(table, key) ? (table[key] as T) : fallback
}
