/**
 * v2 `GET /devices/{uuid}` (`GetDeviceResponseV2Model`): camelCase keys next
 * to PascalCase `OSBuildVersion`, `WifiSsid` and `Links`, string enumerations
 * as the wire sends them, timestamps with `Z`, and no `id` key. The v2 search
 * item has the v1 keys and comes from `v1.ts`.
 */
import type { Device } from '../device'
import {
  V2_ENROLLMENT_STATUS,
  V2_MANAGED_BY,
  V2_OWNERSHIP,
  isoDate,
  lookupEnum,
  put,
  type JsonObject,
} from './common'

/** Builds the `Links[].Href` of a device: `<origin>/API/mdm/devices/<uuid>`. */
export function deviceHref(baseUrl: string, uuid: string): string {
  const origin = baseUrl.replace(/\/+$/, '').replace(/\/api$/i, '')
  return `${origin}/API/mdm/devices/${uuid}`
}

export function toV2DeviceRecord(device: Device, baseUrl: string): JsonObject {
  const a = device.attributes
  const out: JsonObject = {}
  out['udid'] = device.udid
  out['serialNumber'] = device.serialNumber
  put(out, 'macAddress', device.macAddress)
  put(out, 'imei', device.imei)
  put(out, 'friendlyName', device.friendlyName)
  out['organizationGroupName'] = device.group.name
  put(out, 'totalStorageBytes', a.deviceCapacity === null ? null : String(a.deviceCapacity))
  put(
    out,
    'availableStorageBytes',
    a.availableDeviceCapacity === null ? null : String(a.availableDeviceCapacity),
  )
  // Real records send the battery level as a string, sometimes out of range ("700").
  put(out, 'batteryLevelPercentage', a.batteryLevel)
  put(out, 'computerName', a.hostName)
  put(out, 'supervised', a.supervised)
  put(out, 'dataEncrypted', a.encrypted ?? (a.dataEncryptionYN === null ? null : a.dataEncryptionYN === 'Y'))

  const platformInfo: JsonObject = {}
  platformInfo['deviceType'] = device.platform
  platformInfo['platformName'] = device.platform
  put(platformInfo, 'modelName', device.model)
  put(platformInfo, 'osVersion', device.operatingSystem)
  out['platformInfo'] = platformInfo

  const carrierInfo: JsonObject = {}
  put(carrierInfo, 'phoneNumber', a.phoneNumber)
  put(carrierInfo, 'roamingEnabled', a.roaming)
  out['carrierInfo'] = carrierInfo

  const enrollmentInfo: JsonObject = {}
  enrollmentInfo['enrollmentStatus'] = lookupEnum(
    V2_ENROLLMENT_STATUS,
    device.enrollmentStatus,
    device.enrollmentStatus.toUpperCase(),
  )
  enrollmentInfo['compliant'] = device.complianceStatus === 'Compliant'
  put(enrollmentInfo, 'enrollmentTimestamp', isoDate(device.enrolledOn))
  put(enrollmentInfo, 'lastSeenTimestamp', isoDate(device.lastSeen))
  enrollmentInfo['ownership'] = lookupEnum(V2_OWNERSHIP, device.ownership, 'UNDEFINED')
  enrollmentInfo['organizationGroupId'] = device.group.uuid
  enrollmentInfo['organizationGroupName'] = device.group.name
  put(enrollmentInfo, 'userName', device.userName)
  put(enrollmentInfo, 'userEmailAddress', device.userEmail)
  put(enrollmentInfo, 'enrollmentUserUuid', device.user === null ? null : device.user.uuid)
  put(
    enrollmentInfo,
    'managedBy',
    a.managedBy === null ? null : lookupEnum(V2_MANAGED_BY, String(a.managedBy), String(a.managedBy)),
  )
  out['enrollmentInfo'] = enrollmentInfo

  put(out, 'OSBuildVersion', a.osBuildVersion)
  // The captured record leaves out an empty WifiSsid although search items send "".
  put(out, 'WifiSsid', a.wifiSsid === '' ? null : a.wifiSsid)
  out['Links'] = [{ Rel: 'self', Href: deviceHref(baseUrl, device.uuid) }]
  out['uuid'] = device.uuid
  return out
}

export function serializeV2Device(device: Device, baseUrl: string): string {
  return JSON.stringify(toV2DeviceRecord(device, baseUrl))
}
