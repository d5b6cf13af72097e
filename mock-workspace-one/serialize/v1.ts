/**
 * v1/v2 PascalCase device records: the v1 and v2 search item
 * (`DeviceExtended`) and the v1 `Device` of `?searchby=` and `/devices/{id}`,
 * which has the same keys minus `EasIds` and `TimeZone`. Keys follow the
 * published model's order, and absent values leave their key out.
 */
import { hasComplianceSummary, type CellularInterface, type Device, type DeviceMcc, type NetworkInterface } from '../device'
import { actionsTaken, easIdsObject, entityId, put, ws1Date, type JsonObject } from './common'

function mccObject(mcc: DeviceMcc): JsonObject {
  const out: JsonObject = {}
  put(out, 'SIMMCC', mcc.simMcc)
  put(out, 'CurrentMCC', mcc.currentMcc)
  return out
}

function networkObject(entry: NetworkInterface): JsonObject {
  const out: JsonObject = {}
  put(out, 'ConnectionType', entry.connectionType)
  put(out, 'IPAddress', entry.ipAddress)
  put(out, 'MACAddress', entry.macAddress)
  put(out, 'Name', entry.name)
  put(out, 'Vendor', entry.vendor)
  return out
}

function cellularObject(entry: CellularInterface): JsonObject {
  const out: JsonObject = {}
  put(out, 'CarrierName', entry.carrierName)
  put(out, 'CardId', entry.cardId)
  put(out, 'PhoneNumber', entry.phoneNumber)
  put(out, 'DeviceMCC', entry.mcc === null ? null : mccObject(entry.mcc))
  put(out, 'IsRoaming', entry.roaming)
  return out
}

/** `ComplianceSummary.DeviceCompliance[]` entries in the search model's key order. */
export function compliancePolicies(device: Device): JsonObject[] {
  return device.policies.map((policy) => {
    const out: JsonObject = {}
    out['CompliantStatus'] = policy.compliant && !policy.pending
    out['PolicyName'] = policy.name
    out['PolicyDetail'] = policy.detail
    put(out, 'LastComplianceCheck', ws1Date(policy.lastCheck))
    put(out, 'NextComplianceCheck', ws1Date(policy.nextCheck))
    out['ActionTaken'] = actionsTaken(policy)
    out['Id'] = entityId(policy.id)
    out['Uuid'] = policy.uuid
    return out
  })
}

/**
 * Builds the v1 record. `searchItem` adds the two keys only the search model
 * has (`EasIds`, `TimeZone`).
 */
export function toV1Record(device: Device, searchItem: boolean): JsonObject {
  const a = device.attributes
  const out: JsonObject = {}
  if (searchItem) {
    put(out, 'EasIds', easIdsObject(a.easIds))
    put(out, 'TimeZone', a.timeZone)
  }

  // Identity.
  out['Udid'] = device.udid
  out['SerialNumber'] = device.serialNumber
  put(out, 'MacAddress', device.macAddress)
  put(out, 'Imei', device.imei)
  put(out, 'EasId', a.easId)
  put(out, 'AssetNumber', a.assetNumber)
  put(out, 'DeviceFriendlyName', device.friendlyName)
  put(out, 'DeviceReportedName', device.reportedName)

  // Organization group and user.
  out['LocationGroupId'] = {
    Id: entityId(device.group.id),
    Name: device.group.name,
    Uuid: device.group.uuid,
  }
  out['LocationGroupName'] = device.group.name
  out['UserId'] =
    device.user === null
      ? {}
      : { Id: entityId(device.user.id), Name: device.user.name, Uuid: device.user.uuid }
  put(out, 'UserName', device.userName)
  put(out, 'DataProtectionStatus', a.dataProtectionStatus)
  put(out, 'UserEmailAddress', device.userEmail)

  // Platform.
  out['Ownership'] = device.ownership
  out['PlatformId'] = { Id: entityId(device.platformId), Name: device.platform }
  out['Platform'] = device.platform
  if (device.model !== null) {
    out['ModelId'] = { Id: entityId(device.modelId), Name: device.model }
  }
  put(out, 'Model', device.model)
  put(out, 'OperatingSystem', device.operatingSystem)
  put(out, 'PhoneNumber', a.phoneNumber)

  // Status and compliance.
  put(out, 'LastSeen', ws1Date(device.lastSeen))
  out['EnrollmentStatus'] = device.enrollmentStatus
  out['ComplianceStatus'] = device.complianceStatus
  put(out, 'CompromisedStatus', device.compromised)
  put(out, 'LastEnrolledOn', ws1Date(device.enrolledOn))
  out['LastComplianceCheckOn'] = ws1Date(device.lastComplianceCheckOn)
  put(out, 'LastCompromisedCheckOn', ws1Date(device.compromisedCheckOn))
  if (hasComplianceSummary(device)) {
    out['ComplianceSummary'] = { DeviceCompliance: compliancePolicies(device) }
  }

  // Hardware and settings.
  put(out, 'IsSupervised', a.supervised)
  put(out, 'DeviceMCC', a.mcc === null ? null : mccObject(a.mcc))
  put(out, 'IsRemoteManagementEnabled', a.remoteManagementEnabled)
  put(out, 'DataEncryptionYN', a.dataEncryptionYN)
  put(out, 'AcLineStatus', a.acLineStatus)
  put(out, 'VirtualMemory', a.virtualMemory)
  put(out, 'OEMInfo', a.oemInfo)
  put(out, 'DeviceCapacity', a.deviceCapacity)
  put(out, 'AvailableDeviceCapacity', a.availableDeviceCapacity)
  put(out, 'LastSystemSampleTime', ws1Date(a.lastSystemSampleTime))
  put(out, 'IsDeviceDNDEnabled', a.dndEnabled)
  put(out, 'IsDeviceLocatorEnabled', a.locatorEnabled)
  put(out, 'IsCloudBackupEnabled', a.cloudBackupEnabled)
  put(out, 'IsActivationLockEnabled', a.activationLockEnabled)
  put(out, 'IsNetworkTethered', a.networkTethered)
  put(out, 'BatteryLevel', a.batteryLevel)
  put(out, 'IsRoaming', a.roaming)
  put(out, 'LastNetworkLANSampleTime', ws1Date(a.lastNetworkLanSampleTime))
  put(out, 'LastBluetoothSampleTime', ws1Date(a.lastBluetoothSampleTime))
  put(out, 'SystemIntegrityProtectionEnabled', a.systemIntegrityProtectionEnabled)
  put(out, 'ProcessorArchitecture', a.processorArchitecture)
  put(out, 'UserApprovedEnrollment', a.userApprovedEnrollment)
  put(out, 'EnrolledViaDEP', a.enrolledViaDep)
  put(out, 'TotalPhysicalMemory', a.totalPhysicalMemory)
  put(out, 'AvailablePhysicalMemory', a.availablePhysicalMemory)
  put(out, 'OSBuildVersion', a.osBuildVersion)
  put(out, 'HostName', a.hostName)
  put(out, 'LocalHostName', a.localHostName)
  put(out, 'SecurityPatchDate', ws1Date(a.securityPatchDate))
  put(out, 'SystemUpdateReceivedTime', ws1Date(a.systemUpdateReceivedTime))
  put(out, 'IsSecurityPatchUpdate', a.securityPatchUpdate)
  put(out, 'DeviceManufacturerId', a.deviceManufacturerId)

  // Network and management.
  put(out, 'DeviceNetworkInfo', a.networkInfo === null ? null : a.networkInfo.map(networkObject))
  put(
    out,
    'DeviceCellularNetworkInfo',
    a.cellularInfo === null ? null : a.cellularInfo.map(cellularObject),
  )
  put(out, 'EnrollmentUserUuid', a.enrollmentUserUuid)
  put(out, 'ManagedBy', a.managedBy)
  put(out, 'WifiSsid', a.wifiSsid)
  put(out, 'DepTokenSource', a.depTokenSource)

  out['Id'] = entityId(device.id)
  out['Uuid'] = device.uuid
  return out
}

/** Serializes one v1/v2 search item. */
export function serializeV1SearchItem(device: Device): string {
  return JSON.stringify(toV1Record(device, true))
}

/** Serializes one v1 `Device` (the search item minus `EasIds` and `TimeZone`). */
export function serializeV1Device(device: Device): string {
  return JSON.stringify(toV1Record(device, false))
}
