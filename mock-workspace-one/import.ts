/**
 * Imports real `/devices/search` exports into canonical devices, and revives
 * devices from store snapshots. Import keeps every value the record carries
 * (ids, uuids, serials, statuses, policies, dates) and leaves absent keys
 * absent, so rendering an imported device gives the record back.
 */
import { parseIsoDate, NEVER_MS } from './dates'
import {
  PLATFORM_IDS,
  StoreError,
  deriveCompliance,
  emptyAttributes,
  type CellularInterface,
  type Device,
  type DeviceAttributes,
  type DeviceMcc,
  type DevicePolicy,
  type EntityReference,
  type NetworkInterface,
  type UnenrolledCompliance,
} from './device'
import { finishDevice, type DeviceDraft } from './generator-device'

export interface ImportContext {
  unenrolled: UnenrolledCompliance
  /** Group used when a record has no `LocationGroupId`. */
  rootGroup: EntityReference
  registerGroup(group: EntityReference): void
}

type JsonRecord = Record<string, unknown>

function isRecord(value: unknown): value is JsonRecord {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** Reads typed values from one exported record, naming the record and key in errors. */
class RecordReader {
  constructor(
    private readonly record: JsonRecord,
    private readonly where: string,
  ) {}

  fail(key: string, expected: string): StoreError {
    return new StoreError(
      'invalid_spec',
      `Invalid ${this.where}.${key} ${JSON.stringify(this.record[key])}: expected ${expected}.`,
    )
  }

  string(key: string): string | null {
    const value = this.record[key]
    if (value === undefined || value === null) return null
    if (typeof value !== 'string') throw this.fail(key, 'a string')
    return value
  }

  number(key: string): number | null {
    const value = this.record[key]
    if (value === undefined || value === null) return null
    if (typeof value !== 'number' || !Number.isFinite(value)) throw this.fail(key, 'a number')
    return value
  }

  boolean(key: string): boolean | null {
    const value = this.record[key]
    if (value === undefined || value === null) return null
    if (typeof value !== 'boolean') throw this.fail(key, 'true or false')
    return value
  }

  date(key: string): number | null {
    const value = this.string(key)
    if (value === null) return null
    const parsed = parseIsoDate(value)
    if (parsed === undefined) throw this.fail(key, 'a date such as 2021-06-28T04:35:20.150')
    return parsed
  }

  object(key: string): RecordReader | null {
    const value = this.record[key]
    if (value === undefined || value === null) return null
    if (!isRecord(value)) throw this.fail(key, 'an object')
    return new RecordReader(value, `${this.where}.${key}`)
  }

  list(key: string): RecordReader[] | null {
    const value = this.record[key]
    if (value === undefined || value === null) return null
    if (!Array.isArray(value)) throw this.fail(key, 'a list')
    return value.map((entry, index) => {
      if (!isRecord(entry)) throw this.fail(key, 'a list of objects')
      return new RecordReader(entry, `${this.where}.${key}[${index}]`)
    })
  }

  /** `{"Id":{"Value":n}}` or `{"Value":n}` read as n. */
  entityId(key: string): number | null {
    const reference = this.object(key)
    if (reference === null) return null
    const nested = reference.object('Id')
    const value = nested === null ? reference.number('Value') : nested.number('Value')
    return value
  }

  /** Returns the value under `key` without a type check. */
  raw(key: string): unknown {
    return this.record[key]
  }

  has(key: string): boolean {
    return this.record[key] !== undefined && this.record[key] !== null
  }
}

/** Finds the device list in a v1/v2 search body or an XSOAR context object. */
function exportedRecords(body: unknown): unknown[] {
  if (Array.isArray(body)) return body
  if (isRecord(body)) {
    if (Array.isArray(body['Devices'])) return body['Devices']
    const context = body['VMwareWorkspaceONEUEM']
    if (isRecord(context)) {
      const devices = context['Device']
      if (Array.isArray(devices)) return devices
      if (isRecord(devices)) return [devices]
    }
  }
  throw new StoreError(
    'invalid_spec',
    'Invalid device export: expected a /devices/search body {"Devices":[...]} or an XSOAR context {"VMwareWorkspaceONEUEM":{"Device":[...]}}.',
  )
}

function readMcc(reader: RecordReader | null): DeviceMcc | null {
  if (reader === null) return null
  return { simMcc: reader.string('SIMMCC'), currentMcc: reader.string('CurrentMCC') }
}

function readPolicies(reader: RecordReader): DevicePolicy[] | null {
  const summary = reader.object('ComplianceSummary')
  if (summary === null) return null
  const entries = summary.list('DeviceCompliance') ?? []
  return entries.map((entry) => {
    const compliant = entry.boolean('CompliantStatus') ?? true
    const name = entry.string('PolicyName') ?? ''
    return {
      id: entry.entityId('Id') ?? 0,
      uuid: entry.string('Uuid') ?? '',
      name,
      detail: entry.string('PolicyDetail') ?? name,
      compliant,
      pending: entry.boolean('CompliancePending') ?? false,
      lastCheck: entry.date('LastComplianceCheck'),
      nextCheck: entry.date('NextComplianceCheck'),
      actions: (entry.list('ActionTaken') ?? []).map((action) => action.number('ActionType') ?? 0),
    }
  })
}

function readAttributes(reader: RecordReader): DeviceAttributes {
  const attributes = emptyAttributes()
  const easIds = reader.object('EasIds')
  if (easIds !== null) {
    const list = easIds.raw('EasId') ?? []
    if (!Array.isArray(list) || list.some((entry) => typeof entry !== 'string')) {
      throw reader.fail('EasIds', '{} or {"EasId":[strings]}')
    }
    attributes.easIds = list as string[]
  }

  attributes.timeZone = reader.string('TimeZone')
  attributes.easId = reader.string('EasId')
  attributes.assetNumber = reader.string('AssetNumber')
  attributes.dataProtectionStatus = reader.number('DataProtectionStatus')
  attributes.phoneNumber = reader.string('PhoneNumber')
  attributes.supervised = reader.boolean('IsSupervised')
  attributes.mcc = readMcc(reader.object('DeviceMCC'))

  attributes.remoteManagementEnabled = reader.string('IsRemoteManagementEnabled')
  attributes.dataEncryptionYN = reader.string('DataEncryptionYN')
  attributes.acLineStatus = reader.number('AcLineStatus')
  attributes.virtualMemory = reader.number('VirtualMemory')
  attributes.oemInfo = reader.string('OEMInfo')
  attributes.deviceCapacity = reader.number('DeviceCapacity')
  attributes.availableDeviceCapacity = reader.number('AvailableDeviceCapacity')
  attributes.lastSystemSampleTime = reader.date('LastSystemSampleTime')
  attributes.dndEnabled = reader.boolean('IsDeviceDNDEnabled')
  attributes.locatorEnabled = reader.boolean('IsDeviceLocatorEnabled')
  attributes.cloudBackupEnabled = reader.boolean('IsCloudBackupEnabled')
  attributes.activationLockEnabled = reader.boolean('IsActivationLockEnabled')
  attributes.networkTethered = reader.boolean('IsNetworkTethered')
  attributes.batteryLevel = reader.string('BatteryLevel')
  attributes.roaming = reader.boolean('IsRoaming')
  attributes.lastNetworkLanSampleTime = reader.date('LastNetworkLANSampleTime')
  attributes.lastBluetoothSampleTime = reader.date('LastBluetoothSampleTime')
  attributes.systemIntegrityProtectionEnabled = reader.boolean('SystemIntegrityProtectionEnabled')
  attributes.processorArchitecture = reader.number('ProcessorArchitecture')
  attributes.userApprovedEnrollment = reader.boolean('UserApprovedEnrollment')
  attributes.enrolledViaDep = reader.boolean('EnrolledViaDEP')
  attributes.totalPhysicalMemory = reader.number('TotalPhysicalMemory')
  attributes.availablePhysicalMemory = reader.number('AvailablePhysicalMemory')
  attributes.osBuildVersion = reader.string('OSBuildVersion')
  attributes.hostName = reader.string('HostName')
  attributes.localHostName = reader.string('LocalHostName')
  attributes.securityPatchDate = reader.date('SecurityPatchDate')
  attributes.systemUpdateReceivedTime = reader.date('SystemUpdateReceivedTime')
  attributes.securityPatchUpdate = reader.boolean('IsSecurityPatchUpdate')
  attributes.deviceManufacturerId = reader.number('DeviceManufacturerId')

  const network = reader.list('DeviceNetworkInfo')
  attributes.networkInfo =
    network === null
      ? null
      : network.map(
          (entry): NetworkInterface => ({
            connectionType: entry.string('ConnectionType'),
            ipAddress: entry.string('IPAddress'),
            macAddress: entry.string('MACAddress'),
            name: entry.string('Name'),
            vendor: entry.string('Vendor'),
          }),
        )
  const cellular = reader.list('DeviceCellularNetworkInfo')
  attributes.cellularInfo =
    cellular === null
      ? null
      : cellular.map(
          (entry): CellularInterface => ({
            carrierName: entry.string('CarrierName'),
            cardId: entry.string('CardId'),
            phoneNumber: entry.string('PhoneNumber'),
            mcc: readMcc(entry.object('DeviceMCC')),
            roaming: entry.boolean('IsRoaming'),
          }),
        )

  attributes.enrollmentUserUuid = reader.string('EnrollmentUserUuid')
  attributes.managedBy = reader.number('ManagedBy')
  attributes.wifiSsid = reader.string('WifiSsid')
  attributes.depTokenSource = reader.number('DepTokenSource')
  return attributes
}

function readGroup(reader: RecordReader, context: ImportContext): EntityReference {
  const location = reader.object('LocationGroupId')
  const name = reader.string('LocationGroupName') ?? location?.string('Name') ?? context.rootGroup.name
  if (location === null) return name === context.rootGroup.name ? context.rootGroup : { ...context.rootGroup, name }
  const group = {
    id: reader.entityId('LocationGroupId') ?? context.rootGroup.id,
    name: location.string('Name') ?? name,
    uuid: location.string('Uuid') ?? context.rootGroup.uuid,
  }
  context.registerGroup(group)
  return group
}

/** Converts one exported v1/v2 record into a device. */
export function deviceFromRecord(record: unknown, index: number, context: ImportContext): Device {
  if (!isRecord(record)) {
    throw new StoreError('invalid_spec', `Invalid device export Devices[${index}]: expected an object.`)
  }
  const reader = new RecordReader(record, `Devices[${index}]`)
  const id = reader.entityId('Id')
  if (id === null || !Number.isInteger(id)) throw reader.fail('Id', '{"Value": <whole number>}')
  const uuid = reader.string('Uuid')
  if (uuid === null || uuid === '') throw reader.fail('Uuid', 'a GUID string')

  const platform = reader.string('Platform') ?? reader.object('PlatformId')?.string('Name') ?? 'WinRT'
  const userReader = reader.object('UserId')
  const user =
    userReader === null || !userReader.has('Id')
      ? null
      : { id: reader.entityId('UserId') ?? 0, name: userReader.string('Name') ?? '', uuid: userReader.string('Uuid') ?? '' }
  const model = reader.string('Model') ?? reader.object('ModelId')?.string('Name') ?? null
  const policies = readPolicies(reader)

  const draft: DeviceDraft = {
    id,
    uuid,
    udid: reader.string('Udid') ?? '',
    serialNumber: reader.string('SerialNumber') ?? '',
    macAddress: reader.string('MacAddress'),
    imei: reader.string('Imei'),
    friendlyName: reader.string('DeviceFriendlyName'),
    reportedName: reader.string('DeviceReportedName'),
    group: readGroup(reader, context),
    user,
    userName: reader.string('UserName'),
    userEmail: reader.string('UserEmailAddress'),
    ownership: reader.string('Ownership') ?? 'Undefined',
    platform,
    platformId: reader.entityId('PlatformId') ?? PLATFORM_IDS[platform] ?? 0,
    model,
    modelId: reader.entityId('ModelId') ?? 0,
    operatingSystem: reader.string('OperatingSystem'),
    lastSeen: reader.date('LastSeen'),
    enrollmentStatus: reader.string('EnrollmentStatus') ?? 'Enrolled',
    compromised: reader.boolean('CompromisedStatus'),
    enrolledOn: reader.date('LastEnrolledOn'),
    compromisedCheckOn: reader.date('LastCompromisedCheckOn'),
    evaluated: policies !== null,
    policies: policies ?? [],
    complianceOverride: null,
    complianceStatus: 'Compliant',
    lastComplianceCheckOn: NEVER_MS,
    attributes: readAttributes(reader),
  }
  // Keep the record's own status when the policies alone would give another.
  const derived = deriveCompliance(draft, 'keep')
  const statedStatus = reader.string('ComplianceStatus') ?? derived.status
  const statedCheck = reader.date('LastComplianceCheckOn') ?? derived.lastCheck
  if (statedStatus !== derived.status || statedCheck !== derived.lastCheck) {
    draft.complianceOverride = { status: statedStatus, lastCheck: statedCheck }
  }
  return finishDevice(draft, context.unenrolled)
}

/** Converts every record of an export body. */
export function devicesFromExport(body: unknown, context: ImportContext): Device[] {
  return exportedRecords(body).map((record, index) => deviceFromRecord(record, index, context))
}

/** Restores one device from `DeviceStore.toJSON()` output. The caller recomputes the derived fields. */
export function reviveDevice(entry: unknown, index: number): Device {
  const fail = (field: string): StoreError =>
    new StoreError('invalid_spec', `Invalid store snapshot devices[${index}].${field}: expected the value DeviceStore.toJSON() wrote.`)
  if (!isRecord(entry)) throw fail('(record)')
  if (typeof entry['id'] !== 'number') throw fail('id')
  if (typeof entry['uuid'] !== 'string') throw fail('uuid')
  if (typeof entry['serialNumber'] !== 'string') throw fail('serialNumber')
  if (!Array.isArray(entry['policies'])) throw fail('policies')
  if (!isRecord(entry['attributes'])) throw fail('attributes')
  if (!isRecord(entry['group'])) throw fail('group')
  const attributes = { ...emptyAttributes(), ...(entry['attributes'] as Partial<DeviceAttributes>) }
  return { ...(entry as unknown as Device), attributes }
}
