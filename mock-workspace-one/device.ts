/**
 * The emulator's canonical device record. Every response shape (v1, v2, v3,
 * compliance, security) is rendered from this one model by the serializers in
 * `serialize/`, so one device cannot look different across endpoints.
 *
 * A null attribute means "absent": Workspace ONE leaves keys whose value is
 * null out of its JSON, while empty strings are sent as "". Times are epoch
 * ms; "never" is `NEVER_MS`, which renders as `0001-01-01T00:00:00.000`.
 */
import { NEVER_MS } from './dates'

/** One compliance policy's latest evaluation on a device. */
export interface DevicePolicy {
  id: number
  uuid: string
  name: string
  detail: string
  compliant: boolean
  /** Evaluation queued but not finished. A pending policy never counts as passing. */
  pending: boolean
  /** Epoch ms (`NEVER_MS` for never), or null to leave the key out. */
  lastCheck: number | null
  nextCheck: number | null
  /** `ActionTaken[].ActionType` values. */
  actions: readonly number[]
}

/** Reference to another Workspace ONE entity, as `{Id:{Value},Name,Uuid}`. */
export interface EntityReference {
  id: number
  name: string
  uuid: string
}

/** `DeviceMCC` (mobile country codes). */
export interface DeviceMcc {
  simMcc: string | null
  currentMcc: string | null
}

/** One `DeviceNetworkInfo[]` entry. */
export interface NetworkInterface {
  connectionType: string | null
  ipAddress: string | null
  macAddress: string | null
  name: string | null
  vendor: string | null
}

/** One `DeviceCellularNetworkInfo[]` entry. */
export interface CellularInterface {
  carrierName: string | null
  cardId: string | null
  phoneNumber: string | null
  mcc: DeviceMcc | null
  roaming: boolean | null
}

/**
 * Device attributes that no emulator logic reads: they are stored and
 * rendered as given, each under one v1 key. Devices that share identical
 * attributes may share one frozen object, which keeps large fleets small.
 */
export interface DeviceAttributes {
  timeZone: string | null
  easIds: string[] | null
  easId: string | null
  assetNumber: string | null
  dataProtectionStatus: number | null
  phoneNumber: string | null
  supervised: boolean | null
  mcc: DeviceMcc | null
  remoteManagementEnabled: string | null
  dataEncryptionYN: string | null
  acLineStatus: number | null
  virtualMemory: number | null
  oemInfo: string | null
  deviceCapacity: number | null
  availableDeviceCapacity: number | null
  lastSystemSampleTime: number | null
  dndEnabled: boolean | null
  locatorEnabled: boolean | null
  cloudBackupEnabled: boolean | null
  activationLockEnabled: boolean | null
  networkTethered: boolean | null
  batteryLevel: string | null
  roaming: boolean | null
  lastNetworkLanSampleTime: number | null
  lastBluetoothSampleTime: number | null
  systemIntegrityProtectionEnabled: boolean | null
  processorArchitecture: number | null
  userApprovedEnrollment: boolean | null
  enrolledViaDep: boolean | null
  totalPhysicalMemory: number | null
  availablePhysicalMemory: number | null
  osBuildVersion: string | null
  hostName: string | null
  localHostName: string | null
  securityPatchDate: number | null
  systemUpdateReceivedTime: number | null
  securityPatchUpdate: boolean | null
  deviceManufacturerId: number | null
  networkInfo: NetworkInterface[] | null
  cellularInfo: CellularInterface[] | null
  enrollmentUserUuid: string | null
  managedBy: number | null
  wifiSsid: string | null
  depTokenSource: number | null
  /** Security details for `/devices/{id}/security`, which no search key carries. */
  passcodePresent: boolean | null
  passcodeCompliant: boolean | null
  encrypted: boolean | null
}

/**
 * A stored device. Instances are never mutated once stored: the store
 * replaces the object on every change, so caches can key on identity.
 */
export interface Device {
  readonly id: number
  readonly uuid: string
  readonly udid: string
  /** Serial exactly as reported, without trimming or case change. It may be "". */
  readonly serialNumber: string
  readonly macAddress: string | null
  readonly imei: string | null
  readonly friendlyName: string | null
  /** `DeviceReportedName`, the name the device gives itself. */
  readonly reportedName: string | null
  readonly group: EntityReference
  /** `UserId`. Null renders as `{}`, as some real records show. */
  readonly user: EntityReference | null
  readonly userName: string | null
  readonly userEmail: string | null
  /** v1 ownership code: C, E, S or Undefined. */
  readonly ownership: string
  /** Platform name as the API spells it (`WinRT`, `AppleOsX`, ...). */
  readonly platform: string
  readonly platformId: number
  readonly model: string | null
  readonly modelId: number
  readonly operatingSystem: string | null
  readonly lastSeen: number | null
  readonly enrollmentStatus: string
  /** `CompromisedStatus`. Null leaves the key out. */
  readonly compromised: boolean | null
  readonly enrolledOn: number | null
  /** `LastCompromisedCheckOn`. */
  readonly compromisedCheckOn: number | null
  /** False when the device was never evaluated, whatever `policies` holds. */
  readonly evaluated: boolean
  readonly policies: readonly DevicePolicy[]
  /**
   * Status and last check as an import stated them, kept when they disagree
   * with what the policies give. Any policy change clears it.
   */
  readonly complianceOverride: { status: string; lastCheck: number } | null
  /** Derived from the policies and the store's options; see `deriveCompliance`. */
  readonly complianceStatus: string
  readonly lastComplianceCheckOn: number
  readonly attributes: Readonly<DeviceAttributes>
}

export type StoreErrorCode = 'not_found' | 'invalid_spec' | 'conflict'

/**
 * Failure of a store operation. The message names the field or value and the
 * fix; the HTTP layer maps `not_found` to 404 and the other codes to 400.
 */
export class StoreError extends Error {
  override readonly name = 'StoreError'
  readonly code: StoreErrorCode

  constructor(code: StoreErrorCode, message: string) {
    super(message)
    this.code = code
  }
}

/** Shared `actions` lists, so a large fleet does not hold one small array per policy. */
export const NO_ACTIONS: readonly number[] = Object.freeze([])
export const DEFAULT_FAILURE_ACTIONS: readonly number[] = Object.freeze([1])

/** Platform names and their `PlatformId.Id.Value` numbers. */
export const PLATFORM_IDS: Readonly<Record<string, number>> = {
  WindowsPc: 9,
  WinRT: 12,
  Apple: 2,
  AppleOsX: 10,
  Android: 5,
  ChromeBook: 16,
  // NOTE: Linux's platform number is not in any captured sample; 21 is our choice.
  Linux: 21,
}

export const OWNERSHIP_CODES = ['C', 'E', 'S', 'Undefined'] as const

export const ENROLLMENT_STATUSES = [
  'Enrolled',
  'Unenrolled',
  'EnrollmentInProgress',
  'EnterpriseWipePending',
  'DeviceWipePending',
  'Retired',
] as const

export type UnenrolledCompliance = 'keep' | 'NotAvailable' | 'NonCompliant'

/**
 * Derives `ComplianceStatus` and `LastComplianceCheckOn`.
 *
 * - A device never evaluated (no policies or `evaluated: false`) reports
 *   Compliant with a never date, as real tenants do.
 * - Otherwise it is Compliant only when every policy passes and none is
 *   pending. A pending policy gives NonCompliant, because Workspace ONE has no
 *   documented "Pending" device status.
 * - The last check is the latest policy check.
 * - A device that is not Enrolled keeps that result with `keep`, or reports
 *   the fixed status the option names.
 */
export function deriveCompliance(
  device: Pick<Device, 'evaluated' | 'policies' | 'enrollmentStatus' | 'complianceOverride'>,
  unenrolled: UnenrolledCompliance,
): { status: string; lastCheck: number } {
  let status: string
  let lastCheck: number
  if (device.complianceOverride !== null) {
    status = device.complianceOverride.status
    lastCheck = device.complianceOverride.lastCheck
  } else if (!device.evaluated || device.policies.length === 0) {
    status = 'Compliant'
    lastCheck = NEVER_MS
  } else {
    let passing = true
    lastCheck = NEVER_MS
    for (const policy of device.policies) {
      if (!policy.compliant || policy.pending) passing = false
      if (policy.lastCheck !== null && policy.lastCheck > lastCheck) {
        lastCheck = policy.lastCheck
      }
    }
    status = passing ? 'Compliant' : 'NonCompliant'
  }
  if (device.enrollmentStatus !== 'Enrolled' && unenrolled !== 'keep') status = unenrolled
  return { status, lastCheck }
}

/** Returns true when the device renders a `ComplianceSummary`, which only evaluated devices do. */
export function hasComplianceSummary(device: Device): boolean {
  return device.evaluated && device.policies.length > 0
}

/** Returns an attribute set with every attribute absent. */
export function emptyAttributes(): DeviceAttributes {
  return {
    timeZone: null,
    easIds: null,
    easId: null,
    assetNumber: null,
    dataProtectionStatus: null,
    phoneNumber: null,
    supervised: null,
    mcc: null,
    remoteManagementEnabled: null,
    dataEncryptionYN: null,
    acLineStatus: null,
    virtualMemory: null,
    oemInfo: null,
    deviceCapacity: null,
    availableDeviceCapacity: null,
    lastSystemSampleTime: null,
    dndEnabled: null,
    locatorEnabled: null,
    cloudBackupEnabled: null,
    activationLockEnabled: null,
    networkTethered: null,
    batteryLevel: null,
    roaming: null,
    lastNetworkLanSampleTime: null,
    lastBluetoothSampleTime: null,
    systemIntegrityProtectionEnabled: null,
    processorArchitecture: null,
    userApprovedEnrollment: null,
    enrolledViaDep: null,
    totalPhysicalMemory: null,
    availablePhysicalMemory: null,
    osBuildVersion: null,
    hostName: null,
    localHostName: null,
    securityPatchDate: null,
    systemUpdateReceivedTime: null,
    securityPatchUpdate: null,
    deviceManufacturerId: null,
    networkInfo: null,
    cellularInfo: null,
    enrollmentUserUuid: null,
    managedBy: null,
    wifiSsid: null,
    depTokenSource: null,
    passcodePresent: null,
    passcodeCompliant: null,
    encrypted: null,
  }
}
