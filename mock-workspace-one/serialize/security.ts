/**
 * `GET /devices/{id}/security` and `/devices/security?searchby=` body
 * (`DeviceSecurityInfo`). Only keys the canonical model can back are sent.
 * The recovery-key, grace-period and bootstrap-token keys are left out, as a
 * null value would be.
 */
import type { Device } from '../device'
import { put, type JsonObject } from './common'

const MOBILE_PLATFORMS = new Set(['Apple', 'Android'])

export function toSecurityRecord(device: Device): JsonObject {
  const a = device.attributes
  const encrypted = a.encrypted ?? (a.dataEncryptionYN === null ? null : a.dataEncryptionYN === 'Y')
  const mobile = MOBILE_PLATFORMS.has(device.platform)
  const out: JsonObject = {}
  put(out, 'IsCompromised', device.compromised)
  put(out, 'DataProtectionEnabled', encrypted)
  put(out, 'BlockLevelEncryption', encrypted === null ? null : encrypted && !mobile)
  put(out, 'FileLevelEncryption', encrypted === null ? null : encrypted && mobile)
  put(out, 'IsPasscodePresent', a.passcodePresent)
  put(out, 'IsPasscodeCompliant', a.passcodeCompliant)
  put(out, 'IsEncrypted', encrypted)
  put(out, 'EnrolledViaDEP', a.enrolledViaDep)
  put(out, 'UserApprovedEnrollment', a.userApprovedEnrollment)
  put(out, 'SystemIntegrityProtectionEnabled', a.systemIntegrityProtectionEnabled)
  return out
}
