/**
 * v3 snake_case shapes: the search item (`DeviceExtendedV2`) and
 * `GET /devices/{uuid}` (`DeviceResponseV3Model`). Enumerations are integers
 * (see the NOTE in `common.ts`). Like the published model, the search item
 * keeps PascalCase `Id` and `Uuid`, and the cellular object is `device_mmc`.
 *
 * NOTE: no v3 capture exists, so the date format is a guess: v3 dates are
 * rendered like v2 get-by-uuid, with a trailing `Z`.
 */
import { hasComplianceSummary, type Device } from '../device'
import { deviceHref } from './v2'
import {
  V3_COMPLIANCE_STATUS,
  V3_ENROLLMENT_STATUS,
  V3_OWNERSHIP,
  easIdsObject,
  entityId,
  isoDate,
  lookupEnum,
  put,
  v3PolicyStatus,
  type JsonObject,
} from './common'

function complianceSummary(device: Device): JsonObject {
  const results = device.policies.map((policy) => {
    const out: JsonObject = {}
    out['uuid'] = policy.uuid
    out['compliance_status'] = v3PolicyStatus(policy)
    out['policy_name'] = policy.name
    out['policy_description'] = policy.detail
    put(out, 'last_compliance_check', isoDate(policy.lastCheck))
    put(out, 'next_compliance_check', isoDate(policy.nextCheck))
    out['actions_taken'] = policy.actions.map((actionType) => ({ action_type: actionType }))
    return out
  })
  return {
    compliance_policy_results: results,
    overall_compliance_status: complianceNumber(device),
    page: 0,
    page_size: results.length,
    total: results.length,
  }
}

function complianceNumber(device: Device): number {
  return lookupEnum(V3_COMPLIANCE_STATUS, device.complianceStatus, 0)
}

export function toV3SearchRecord(device: Device): JsonObject {
  const a = device.attributes
  const out: JsonObject = {}
  out['udid'] = device.udid
  out['serial_number'] = device.serialNumber
  put(out, 'imei', device.imei)
  put(out, 'eas_ids', easIdsObject(a.easIds))
  put(out, 'asset_number', a.assetNumber)
  put(out, 'device_friendly_name', device.friendlyName)
  put(out, 'device_reported_name', device.reportedName)

  // Organization group and user.
  out['organization_group_uuid'] = device.group.uuid
  out['organization_group_name'] = device.group.name
  put(out, 'enrollment_user_name', device.userName)
  put(out, 'enrollment_user_uuid', device.user === null ? null : device.user.uuid)
  put(out, 'enrollment_user_email_address', device.userEmail)

  // Platform and status.
  out['ownership'] = lookupEnum(V3_OWNERSHIP, device.ownership, 4)
  out['platform_name'] = device.platform
  out['device_type'] = device.platformId
  put(out, 'model_identifier', device.model)
  put(out, 'model', device.model)
  put(out, 'operating_system', device.operatingSystem)
  put(out, 'last_seen', isoDate(device.lastSeen))
  out['enrollment_status'] = lookupEnum(V3_ENROLLMENT_STATUS, device.enrollmentStatus, 0)
  out['compliance_status'] = complianceNumber(device)
  put(out, 'compromised_status', device.compromised)
  put(out, 'last_enrolled_on', isoDate(device.enrolledOn))
  out['last_compliance_check_on'] = isoDate(device.lastComplianceCheckOn)
  put(out, 'last_compromised_check_on', isoDate(device.compromisedCheckOn))

  // Hardware, settings and network.
  put(out, 'is_supervised', a.supervised)
  put(out, 'is_remote_management_enabled', a.remoteManagementEnabled)
  put(out, 'data_encryption_yn', a.dataEncryptionYN)
  put(out, 'ac_line_status', a.acLineStatus)
  put(out, 'virtual_memory', a.virtualMemory)
  put(out, 'oem_info', a.oemInfo)
  put(out, 'device_capacity', a.deviceCapacity === null ? null : Math.round(a.deviceCapacity))
  put(
    out,
    'available_device_capacity',
    a.availableDeviceCapacity === null ? null : Math.round(a.availableDeviceCapacity),
  )
  put(out, 'last_system_sample_time', isoDate(a.lastSystemSampleTime))
  put(out, 'is_device_dnd_enabled', a.dndEnabled)
  put(out, 'is_device_locator_enabled', a.locatorEnabled)
  put(out, 'is_cloud_backup_enabled', a.cloudBackupEnabled)
  put(out, 'is_activation_lock_enabled', a.activationLockEnabled)
  put(out, 'is_network_tethered', a.networkTethered)
  put(out, 'battery_level', a.batteryLevel)
  put(out, 'last_network_lan_sample_time', isoDate(a.lastNetworkLanSampleTime))
  put(out, 'last_bluetooth_sample_time', isoDate(a.lastBluetoothSampleTime))
  put(out, 'managed_by', a.managedBy)
  put(out, 'data_protection_status', a.dataProtectionStatus)
  put(out, 'processor_architecture', a.processorArchitecture)
  put(out, 'os_build_version', a.osBuildVersion)
  put(out, 'wifi_ssid', a.wifiSsid)
  put(
    out,
    'device_cellular_network_info',
    a.cellularInfo === null
      ? null
      : a.cellularInfo.map((entry) => {
          const item: JsonObject = {}
          put(item, 'carrier_name', entry.carrierName)
          put(item, 'card_id', entry.cardId)
          if (entry.mcc !== null) {
            const mcc: JsonObject = {}
            put(mcc, 'sim_mcc', entry.mcc.simMcc)
            put(mcc, 'current_mcc', entry.mcc.currentMcc)
            item['device_mmc'] = mcc
          }
          put(item, 'phone_number', entry.phoneNumber)
          put(item, 'is_roaming', entry.roaming)
          return item
        }),
  )
  put(
    out,
    'device_network_info',
    a.networkInfo === null
      ? null
      : a.networkInfo.map((entry) => {
          const item: JsonObject = {}
          put(item, 'connection_type', entry.connectionType)
          put(item, 'ip_address', entry.ipAddress)
          put(item, 'mac_address', entry.macAddress)
          put(item, 'name', entry.name)
          put(item, 'vendor', entry.vendor)
          return item
        }),
  )

  put(out, 'time_zone', a.timeZone)
  if (hasComplianceSummary(device)) out['compliance_summary'] = complianceSummary(device)
  out['Id'] = entityId(device.id)
  out['Uuid'] = device.uuid
  return out
}

export function toV3DeviceRecord(device: Device, baseUrl: string): JsonObject {
  const a = device.attributes
  const out: JsonObject = {}
  out['udid'] = device.udid
  out['serial_number'] = device.serialNumber
  put(out, 'mac_address', device.macAddress)
  put(out, 'imei', device.imei)
  put(out, 'friendly_name', device.friendlyName)
  put(out, 'device_reported_name', device.reportedName)
  out['organization_group_name'] = device.group.name
  put(out, 'total_storage_bytes', a.deviceCapacity === null ? null : String(a.deviceCapacity))
  put(
    out,
    'available_storage_bytes',
    a.availableDeviceCapacity === null ? null : String(a.availableDeviceCapacity),
  )
  put(
    out,
    'total_physical_memory_bytes',
    a.totalPhysicalMemory === null ? null : String(a.totalPhysicalMemory),
  )
  put(
    out,
    'available_physical_memory_bytes',
    a.availablePhysicalMemory === null ? null : String(a.availablePhysicalMemory),
  )
  put(out, 'battery_level_percentage', a.batteryLevel)
  put(out, 'computer_name', a.hostName)
  put(out, 'supervised', a.supervised)
  put(out, 'data_encrypted', a.encrypted)

  const platformInfo: JsonObject = {}
  platformInfo['device_type'] = device.platformId
  platformInfo['platform_name'] = device.platform
  put(platformInfo, 'oem_info', a.oemInfo)
  put(platformInfo, 'model_identifier', device.model)
  put(platformInfo, 'model', device.model)
  put(platformInfo, 'os_version', device.operatingSystem)
  out['platform_info'] = platformInfo

  const carrierInfo: JsonObject = {}
  put(carrierInfo, 'phone_number', a.phoneNumber)
  put(carrierInfo, 'roaming_enabled', a.roaming)
  out['carrier_info'] = carrierInfo

  const enrollmentInfo: JsonObject = {}
  enrollmentInfo['enrollment_status'] = lookupEnum(V3_ENROLLMENT_STATUS, device.enrollmentStatus, 0)
  enrollmentInfo['compliance_status'] = complianceNumber(device)
  put(enrollmentInfo, 'enrollment_timestamp', isoDate(device.enrolledOn))
  put(enrollmentInfo, 'last_seen_timestamp', isoDate(device.lastSeen))
  enrollmentInfo['ownership'] = lookupEnum(V3_OWNERSHIP, device.ownership, 4)
  enrollmentInfo['organization_group_uuid'] = device.group.uuid
  enrollmentInfo['organization_group_name'] = device.group.name
  put(enrollmentInfo, 'enrollment_user_name', device.userName)
  put(enrollmentInfo, 'enrollment_user_uuid', device.user === null ? null : device.user.uuid)
  put(enrollmentInfo, 'enrollment_user_email_address', device.userEmail)
  put(enrollmentInfo, 'managed_by', a.managedBy)
  out['enrollment_info'] = enrollmentInfo

  put(out, 'os_build_version', a.osBuildVersion)
  put(out, 'wifi_ssid', a.wifiSsid)
  put(out, 'security_patch_date', isoDate(a.securityPatchDate))
  put(out, 'system_update_received_time', isoDate(a.systemUpdateReceivedTime))
  put(out, 'is_security_patch_update', a.securityPatchUpdate)
  out['Links'] = [{ Rel: 'self', Href: deviceHref(baseUrl, device.uuid) }]
  out['id'] = device.id
  out['uuid'] = device.uuid
  return out
}

export function serializeV3SearchItem(device: Device): string {
  return JSON.stringify(toV3SearchRecord(device))
}

export function serializeV3Device(device: Device, baseUrl: string): string {
  return JSON.stringify(toV3DeviceRecord(device, baseUrl))
}
