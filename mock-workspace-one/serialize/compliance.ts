/**
 * Compliance bodies: `GET /devices/{id}/compliance` (with
 * `OverallCompliantStatus` and `CompliancePending`) and
 * `GET /devices/compliance?searchBy=` (search-model entries, no overall status).
 *
 * NOTE: no capture shows a value of `OverallCompliantStatus`. The emulator
 * sends the device's `ComplianceStatus` string ("Compliant", "NonCompliant",
 * or "NotAvailable" when the unenrolled option sets it), so the two can never
 * disagree.
 */
import type { Device } from '../device'
import { compliancePolicies } from './v1'
import { actionsTaken, entityId, put, ws1Date, type JsonObject } from './common'

/** Builds the body of `/devices/{id}/compliance`. `page` is 0-based. */
export function toComplianceByIdRecord(device: Device, page: number, pageSize: number): JsonObject {
  const start = page * pageSize
  const policies = device.policies.slice(start, start + pageSize)
  const entries = policies.map((policy) => {
    const out: JsonObject = {}
    out['Id'] = entityId(policy.id)
    out['Uuid'] = policy.uuid
    out['CompliantStatus'] = policy.compliant && !policy.pending
    out['CompliancePending'] = policy.pending
    out['PolicyName'] = policy.name
    out['PolicyDetail'] = policy.detail
    put(out, 'LastComplianceCheck', ws1Date(policy.lastCheck))
    put(out, 'NextComplianceCheck', ws1Date(policy.nextCheck))
    out['ActionTaken'] = actionsTaken(policy)
    return out
  })
  return {
    DeviceCompliance: entries,
    OverallCompliantStatus: device.complianceStatus,
    Page: page,
    PageSize: pageSize,
    Total: device.policies.length,
  }
}

/** Builds the body of `/devices/compliance?searchBy=...&id=...`. */
export function toComplianceBySearchRecord(device: Device): JsonObject {
  const entries = compliancePolicies(device)
  return { DeviceCompliance: entries, Page: 0, PageSize: entries.length, Total: entries.length }
}
