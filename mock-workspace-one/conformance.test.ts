/**
 * Compares every rendered shape with the real-derived fixtures: the recorded
 * response bodies and the published key lists (`keys-v1-device.txt`). Checks
 * key names, casing, order, JSON types, date formats and the empty-value
 * conventions (absent keys for null, "" kept).
 */
import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import type { Clock } from './types'
import type { Device } from './device'
import { DeviceStore } from './store'
import {
  parseSearchQuery,
  renderCompliance,
  renderComplianceBySearch,
  renderDevice,
  renderSearch,
  renderSecurity,
  type ApiVersion,
} from './render'

const FIXTURES = path.resolve(__dirname, '../../shared/fixtures/ws1')
const NOW = Date.UTC(2024, 4, 20, 8, 0, 0)
const ROOT = { id: 1210, name: 'M123456789', uuid: 'c674021e-77f8-4f50-9b5a-57313b41f970' }
const clock: Clock = { now: () => NOW, sleep: async () => undefined }
const BASE_URL = 'http://127.0.0.1:8080/API'

const ZONELESS_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}$/
const ZULU_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

function readFixture(name: string): unknown {
  return JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8')) as unknown
}

// ---------------------------------------------------------------------------
// The published key lists, one section per response shape.

interface KeySpec {
  /** Paths in file order, "." for nesting and "[]" for list items. */
  paths: string[]
  types: Map<string, string>
}

function readKeySections(): Map<string, KeySpec> {
  const lines = readFileSync(path.join(FIXTURES, 'keys-v1-device.txt'), 'utf8').split('\n')
  const sections = new Map<string, KeySpec>()
  let current: KeySpec | undefined
  let letter = ''
  for (const line of lines) {
    const heading = /^([A-I])\. /.exec(line)
    if (heading) {
      letter = heading[1] as string
      current = undefined
      continue
    }
    if (line.startsWith('json path')) {
      current = { paths: [], types: new Map() }
      sections.set(letter, current)
      continue
    }
    if (current === undefined) continue
    if (line.startsWith('WIRE') || line.startsWith('---') || line.trim() === '') {
      current = undefined
      continue
    }
    // Long paths run into the type column, so split on whitespace instead of columns.
    const jsonPath = line.split(/\s+/, 1)[0] as string
    const rest = line.slice(jsonPath.length).trim()
    const type = /^(string \(date-time\)|\S+)/.exec(rest)?.[1] ?? ''
    current.paths.push(jsonPath)
    current.types.set(jsonPath, type)
  }
  return sections
}

const SECTIONS = readKeySections()

function section(letter: string): KeySpec {
  const found = SECTIONS.get(letter)
  if (found === undefined) throw new Error(`keys-v1-device.txt has no section ${letter}`)
  return found
}

function jsonTypeOf(value: unknown): string {
  if (Array.isArray(value)) return 'array'
  if (value === null) return 'null'
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number'
  return typeof value
}

/** Returns true when a rendered value fits a published type. Integers also fit "number". */
function fitsType(published: string, value: unknown): boolean {
  const actual = jsonTypeOf(value)
  if (published.startsWith('array')) return actual === 'array'
  if (published.startsWith('string')) return actual === 'string'
  if (published === 'number') return actual === 'number' || actual === 'integer'
  return published === actual
}

interface Problem {
  path: string
  problem: string
}

/**
 * Walks a rendered value and lists every key that the published section
 * lacks, has under another type, or sends out of the published order.
 * `wireTypes` overrides types where the wire differs from the published model.
 */
function checkAgainstSection(
  value: unknown,
  spec: KeySpec,
  dateFormat: RegExp,
  wireTypes: Record<string, string> = {},
  prefix = '',
): Problem[] {
  const problems: Problem[] = []
  if (value === null || typeof value !== 'object') return problems
  if (Array.isArray(value)) {
    for (const item of value) problems.push(...checkAgainstSection(item, spec, dateFormat, wireTypes, `${prefix}[]`))
    return problems
  }
  const children = spec.paths.filter((candidate) => {
    if (prefix === '') return !candidate.includes('.') && !candidate.includes('[')
    return candidate.startsWith(`${prefix}.`) && !candidate.slice(prefix.length + 1).includes('.')
  })
  let lastIndex = -1
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    const childPath = prefix === '' ? key : `${prefix}.${key}`
    const index = children.indexOf(childPath)
    if (index === -1) {
      problems.push({ path: childPath, problem: 'not in the published model' })
      continue
    }
    if (index < lastIndex) problems.push({ path: childPath, problem: 'out of the published order' })
    lastIndex = index
    const published = wireTypes[childPath] ?? spec.types.get(childPath) ?? ''
    if (child === null) problems.push({ path: childPath, problem: 'null instead of an absent key' })
    else if (!fitsType(published, child)) {
      problems.push({ path: childPath, problem: `${jsonTypeOf(child)} instead of ${published}` })
    } else if (published === 'string (date-time)' && !dateFormat.test(child as string)) {
      problems.push({ path: childPath, problem: `date ${JSON.stringify(child)} not in the expected format` })
    }
    problems.push(...checkAgainstSection(child, spec, dateFormat, wireTypes, childPath))
  }
  return problems
}

// ---------------------------------------------------------------------------
// Devices to render: a generated fleet, the fixtures' records and one record
// that carries every optional key.

const FULL_RECORD = {
  EasIds: { EasId: ['EAS1', 'EAS2'] },
  TimeZone: 'Eastern Standard Time',
  Udid: '6BF0F04C73681FBECFC3EB4F13CBF05B',
  SerialNumber: 'LGH871c18f631a',
  MacAddress: '848506B900BA',
  Imei: '354833052322837',
  EasId: 'EAS1',
  AssetNumber: 'A-100',
  DeviceFriendlyName: 'jdoe Android Android 14.0.0 631a',
  DeviceReportedName: "Jane's Galaxy",
  LocationGroupId: { Id: { Value: 1210 }, Name: 'M123456789', Uuid: ROOT.uuid },
  LocationGroupName: 'M123456789',
  UserId: { Id: { Value: 11866 }, Name: 'Jane  Doe', Uuid: '876d87d8-7551-4d3c-a99e-23dcbd8dedb2' },
  UserName: 'jdoe',
  DataProtectionStatus: 1,
  UserEmailAddress: 'jdoe@example.com',
  Ownership: 'E',
  PlatformId: { Id: { Value: 5 }, Name: 'Android' },
  Platform: 'Android',
  ModelId: { Id: { Value: 160 }, Name: 'SM-G991B' },
  Model: 'SM-G991B',
  OperatingSystem: '14.0.0',
  PhoneNumber: '+15555550100',
  LastSeen: '2024-05-19T10:00:00.000',
  EnrollmentStatus: 'Enrolled',
  ComplianceStatus: 'NonCompliant',
  CompromisedStatus: false,
  LastEnrolledOn: '2023-01-02T03:04:05.678',
  LastComplianceCheckOn: '2024-05-19T09:00:00.000',
  LastCompromisedCheckOn: '2023-01-02T03:05:00.000',
  ComplianceSummary: {
    DeviceCompliance: [
      {
        CompliantStatus: false,
        PolicyName: 'Encryption',
        PolicyDetail: 'Require encryption',
        LastComplianceCheck: '2024-05-19T09:00:00.000',
        NextComplianceCheck: '0001-01-01T00:00:00.000',
        ActionTaken: [{ ActionType: 1 }],
        Id: { Value: 93 },
        Uuid: '12345678-1234-1234-1234-123456789abc',
      },
    ],
  },
  IsSupervised: false,
  DeviceMCC: { SIMMCC: '310', CurrentMCC: '310' },
  IsRemoteManagementEnabled: 'True',
  DataEncryptionYN: 'Y',
  AcLineStatus: 1,
  VirtualMemory: 0,
  OEMInfo: 'samsung',
  DeviceCapacity: 128.5,
  AvailableDeviceCapacity: 64.25,
  LastSystemSampleTime: '2024-05-19T09:30:00.000',
  IsDeviceDNDEnabled: false,
  IsDeviceLocatorEnabled: true,
  IsCloudBackupEnabled: false,
  IsActivationLockEnabled: false,
  IsNetworkTethered: false,
  BatteryLevel: '87',
  IsRoaming: false,
  LastNetworkLANSampleTime: '2024-05-19T09:31:00.000',
  LastBluetoothSampleTime: '2024-05-19T09:32:00.000',
  SystemIntegrityProtectionEnabled: false,
  ProcessorArchitecture: 12,
  UserApprovedEnrollment: true,
  EnrolledViaDEP: false,
  TotalPhysicalMemory: 8192,
  AvailablePhysicalMemory: 2048,
  OSBuildVersion: 'UP1A.231005.007',
  HostName: 'galaxy',
  LocalHostName: 'galaxy.local',
  SecurityPatchDate: '2024-04-01T00:00:00.000',
  SystemUpdateReceivedTime: '2024-04-02T00:00:00.000',
  IsSecurityPatchUpdate: true,
  DeviceManufacturerId: 4,
  DeviceNetworkInfo: [{ ConnectionType: 'WiFi', IPAddress: '10.0.0.5', MACAddress: '848506B900BB', Name: 'wlan0', Vendor: 'Broadcom' }],
  DeviceCellularNetworkInfo: [
    { CarrierName: 'Carrier', CardId: '8901', PhoneNumber: '+15555550100', DeviceMCC: { SIMMCC: '310', CurrentMCC: '311' }, IsRoaming: false },
  ],
  EnrollmentUserUuid: '00000000-0000-0000-0000-000000000000',
  ManagedBy: 1,
  WifiSsid: 'Office',
  DepTokenSource: 0,
  Id: { Value: 9001 },
  Uuid: '0d7c3f7e-2b9d-4c11-9a51-3f0f1d2c4b5a',
}

function buildFleet(): { store: DeviceStore; full: Device; devices: readonly Device[] } {
  const store = new DeviceStore({ clock, seed: 17, group: ROOT })
  store.generate({
    count: 120,
    quirks: { duplicateSerials: 3, whitespaceSerials: 2, caseVariantSerials: 2, placeholderSerials: 2, neverEvaluated: 4 },
    policies: [
      { name: 'Compromised Status', failureRate: 0.2 },
      { name: 'Encryption', failureRate: 0.2, pendingRate: 0.1 },
    ],
  })
  store.importSearchExport({ Devices: [FULL_RECORD] })
  const full = store.get({ id: 9001 })
  if (full === undefined) throw new Error('full record was not imported')
  return { store, full, devices: store.devices() }
}

function renderAll(store: DeviceStore, version: ApiVersion): Array<Record<string, unknown>> {
  const parsed = parseSearchQuery({}, version)
  if (!parsed.ok) throw new Error(parsed.message)
  const bodies: Array<Record<string, unknown>> = []
  for (let page = 0; ; page++) {
    const result = renderSearch(store, { ...parsed.query, page, pageSize: 50 }, version)
    if (result.status === 204) break
    bodies.push(JSON.parse(result.body.toString('utf8')) as Record<string, unknown>)
  }
  return bodies
}

const { store, full, devices } = buildFleet()

// ---------------------------------------------------------------------------

describe('fixture files', () => {
  // Fixtures of other layers: each has a reason, so a new file fails here until someone places it.
  const NOT_DEVICE_SHAPES: Record<string, string> = {
    'error-device-not-found.json': 'error body, rendered by the HTTP layer',
    'error-invalid-credentials.json': 'error body, rendered by the HTTP layer',
    'error-invalid-tenant-code.json': 'error body, rendered by the HTTP layer',
    'error-unknown-route-404.html': 'HTML error page, sent by the HTTP layer',
    'device-osupdate-v2-ios.json': 'OS update list, an endpoint the emulator does not serve',
    'device-osupdate-v2-windows.json': 'OS update list, an endpoint the emulator does not serve',
    'README.md': 'provenance notes',
  }
  const CHECKED_HERE = [
    'devices-search-v2.json',
    'devices-search-v2-context-noncompliant.json',
    'device-v2-by-uuid.json',
    'keys-v1-device.txt',
  ]

  it('places every fixture file', () => {
    const unplaced = readdirSync(FIXTURES).filter(
      (name) => !CHECKED_HERE.includes(name) && NOT_DEVICE_SHAPES[name] === undefined,
    )
    expect(unplaced).toEqual([])
  })
})

describe('devices-search-v2.json', () => {
  const fixture = readFixture('devices-search-v2.json') as { Devices: unknown[] }
  const imported = new DeviceStore({ clock, seed: 1, group: ROOT })
  imported.importSearchExport(fixture)
  const parsed = parseSearchQuery({}, 2)
  if (!parsed.ok) throw new Error(parsed.message)
  const result = renderSearch(imported, parsed.query, 2)
  const body = result.status === 200 ? (JSON.parse(result.body.toString('utf8')) as { Devices: unknown[] }) : undefined

  it('round-trips through import and the v2 render', () => {
    expect(result.status).toBe(200)
    expect(JSON.stringify(body?.Devices)).toBe(JSON.stringify(fixture.Devices))
  })

  it('keeps the envelope keys and their order', () => {
    expect(Object.keys(body ?? {})).toEqual(Object.keys(fixture))
  })

  it('matches the published v2 search model', () => {
    expect(checkAgainstSection(body, section('C'), ZONELESS_DATE)).toEqual([])
  })
})

describe('devices-search-v2-context-noncompliant.json', () => {
  const fixture = readFixture('devices-search-v2-context-noncompliant.json') as {
    VMwareWorkspaceONEUEM: { Device: Array<Record<string, unknown>> }
  }
  const records = fixture.VMwareWorkspaceONEUEM.Device
  const imported = new DeviceStore({ clock, seed: 1, group: ROOT })

  it('imports the XSOAR context shape', () => {
    expect(imported.importSearchExport(fixture)).toBe(records.length)
  })

  it('renders every value the context record carries', () => {
    for (const record of records) {
      const uuidRecord = record['Id'] as { Value: number }
      const device = imported.get({ id: uuidRecord.Value })
      expect(device).toBeDefined()
      const rendered = JSON.parse(renderDevice(device as Device, 'v1', { baseUrl: BASE_URL }).toString()) as Record<
        string,
        unknown
      >
      for (const [key, value] of Object.entries(record)) {
        expect({ key, value: rendered[key] }).toEqual({ key, value })
      }
    }
  })

  it('keeps NonCompliant with its failed policy', () => {
    const device = imported.get({ id: 5711 })
    expect(device?.complianceStatus).toBe('NonCompliant')
    expect(device?.compromised).toBe(true)
    expect(device?.policies.map((policy) => policy.name)).toEqual(['Compromised Status'])
  })
})

describe('device-v2-by-uuid.json', () => {
  const fixture = readFixture('device-v2-by-uuid.json') as Record<string, unknown>
  const v2Store = new DeviceStore({ clock, seed: 1, group: ROOT })
  const device = v2Store.add({
    serialNumber: 'ABCD123',
    platform: 'WinRT',
    model: 'Inspiron 15 7000 Gaming',
    operatingSystem: '10.0.19042',
    ownership: 'E',
    userName: 'user123-laptop2',
    userEmail: 'user123@example.com',
    policies: [{ name: 'Compromised Status', compliant: false }],
  })
  const rendered = JSON.parse(renderDevice(device, 'v2', { baseUrl: BASE_URL }).toString()) as Record<string, unknown>

  it('uses the fixture keys in its order', () => {
    const fixtureKeys = Object.keys(fixture)
    const renderedKeys = Object.keys(rendered).filter((key) => fixtureKeys.includes(key))
    expect(renderedKeys).toEqual(fixtureKeys)
  })

  it('uses the fixture keys of each nested object in order', () => {
    for (const key of ['platformInfo', 'carrierInfo', 'enrollmentInfo']) {
      expect(Object.keys(rendered[key] as object)).toEqual(Object.keys(fixture[key] as object))
    }
  })

  it('sends the same JSON types as the fixture', () => {
    for (const [key, value] of Object.entries(fixture)) expect([key, jsonTypeOf(rendered[key])]).toEqual([key, jsonTypeOf(value)])
    const enrollment = rendered['enrollmentInfo'] as Record<string, unknown>
    const fixtureEnrollment = fixture['enrollmentInfo'] as Record<string, unknown>
    for (const [key, value] of Object.entries(fixtureEnrollment)) {
      expect([key, jsonTypeOf(enrollment[key])]).toEqual([key, jsonTypeOf(value)])
    }
  })

  it('sends string enumerations, Z dates and no id', () => {
    const enrollment = rendered['enrollmentInfo'] as Record<string, unknown>
    expect(enrollment['enrollmentStatus']).toBe('ENROLLED')
    expect(enrollment['ownership']).toBe('EMPLOYEE')
    expect(enrollment['managedBy']).toBe('MDM')
    expect(enrollment['compliant']).toBe(false)
    expect(enrollment['lastSeenTimestamp']).toMatch(ZULU_DATE)
    expect(rendered).not.toHaveProperty('id')
    expect(rendered['Links']).toEqual([{ Rel: 'self', Href: `http://127.0.0.1:8080/API/mdm/devices/${device.uuid}` }])
  })

  it('matches the published model for every generated device', () => {
    const wireTypes = {
      'enrollmentInfo.enrollmentStatus': 'string',
      'enrollmentInfo.ownership': 'string',
      'enrollmentInfo.managedBy': 'string',
    }
    for (const entry of devices) {
      const body = JSON.parse(renderDevice(entry, 'v2', { baseUrl: BASE_URL }).toString()) as unknown
      expect(checkAgainstSection(body, section('D'), ZULU_DATE, wireTypes)).toEqual([])
    }
  })
})

describe('published key lists', () => {
  it('v1 search matches section A', () => {
    for (const body of renderAll(store, 1)) expect(checkAgainstSection(body, section('A'), ZONELESS_DATE)).toEqual([])
  })

  it('full v1 search item sends every key', () => {
    const parsed = parseSearchQuery({ user: 'jdoe', platform: 'Android', model: 'SM-G991B' }, 1)
    if (!parsed.ok) throw new Error(parsed.message)
    const result = renderSearch(store, parsed.query, 1)
    expect(result.status).toBe(200)
    if (result.status !== 200) return
    const items = (JSON.parse(result.body.toString()) as { Devices: Array<Record<string, unknown>> }).Devices
    const fullItem = items.find((item) => (item['Id'] as { Value: number }).Value === full.id)
    const topLevel = section('A').paths.filter((entry) => entry.startsWith('Devices[].') && entry.split('.').length === 2)
    expect(Object.keys(fullItem ?? {}).map((key) => `Devices[].${key}`)).toEqual(topLevel)
  })

  it('v1 Device matches section B', () => {
    for (const device of devices) {
      const body = JSON.parse(renderDevice(device, 'v1', { baseUrl: BASE_URL }).toString()) as Record<string, unknown>
      expect(checkAgainstSection(body, section('B'), ZONELESS_DATE)).toEqual([])
      expect(body).not.toHaveProperty('EasIds')
      expect(body).not.toHaveProperty('TimeZone')
    }
    const fullBody = JSON.parse(renderDevice(full, 'v1', { baseUrl: BASE_URL }).toString()) as Record<string, unknown>
    const topLevel = section('B').paths.filter((entry) => !entry.includes('.') && !entry.includes('['))
    expect(Object.keys(fullBody)).toEqual(topLevel)
  })

  it('v2 search items match section C', () => {
    for (const body of renderAll(store, 2)) expect(checkAgainstSection(body, section('C'), ZONELESS_DATE)).toEqual([])
  })

  it('v3 get-by-uuid matches section E', () => {
    for (const device of devices) {
      const body = JSON.parse(renderDevice(device, 'v3', { baseUrl: BASE_URL }).toString()) as unknown
      expect(checkAgainstSection(body, section('E'), ZULU_DATE)).toEqual([])
    }
  })

  it('v3 search matches section F', () => {
    for (const body of renderAll(store, 3)) expect(checkAgainstSection(body, section('F'), ZULU_DATE)).toEqual([])
  })

  it('compliance by id matches section G', () => {
    for (const device of devices) {
      const body = JSON.parse(renderCompliance(device, 0, 500).toString()) as unknown
      expect(checkAgainstSection(body, section('G'), ZONELESS_DATE)).toEqual([])
    }
  })

  it('compliance by search matches section H', () => {
    for (const device of devices) {
      const body = JSON.parse(renderComplianceBySearch(device).toString()) as unknown
      expect(checkAgainstSection(body, section('H'), ZONELESS_DATE)).toEqual([])
    }
  })

  it('security matches section I', () => {
    for (const device of devices) {
      const body = JSON.parse(renderSecurity(device).toString()) as unknown
      expect(checkAgainstSection(body, section('I'), ZONELESS_DATE)).toEqual([])
    }
  })
})

describe('empty-value conventions', () => {
  const items = renderAll(store, 1).flatMap((body) => body['Devices'] as Array<Record<string, unknown>>)

  it('keeps empty strings as ""', () => {
    const generated = items.filter((item) => (item['Id'] as { Value: number }).Value !== full.id)
    for (const item of generated) {
      for (const key of ['TimeZone', 'EasId', 'PhoneNumber', 'WifiSsid']) expect([key, item[key]]).toEqual([key, ''])
      expect(item['EasIds']).toEqual({})
      expect(typeof item['Imei']).toBe('string')
    }
  })

  it('reports never-evaluated devices as Compliant', () => {
    const never = items.filter((item) => !('ComplianceSummary' in item))
    expect(never.length).toBeGreaterThanOrEqual(4)
    for (const item of never) {
      expect(item['ComplianceStatus']).toBe('Compliant')
      expect(item['LastComplianceCheckOn']).toBe('0001-01-01T00:00:00.000')
    }
  })

  it('leaves CompromisedStatus out when it is unknown', () => {
    const withoutKey = devices.filter((device) => device.compromised === null)
    for (const device of withoutKey) {
      const body = JSON.parse(renderDevice(device, 'v1', { baseUrl: BASE_URL }).toString()) as Record<string, unknown>
      expect(body).not.toHaveProperty('CompromisedStatus')
    }
  })

  it('never sends null', () => {
    for (const body of renderAll(store, 1)) expect(JSON.stringify(body)).not.toContain('null')
  })
})
