import type { Clock } from './types'
import { NEVER_MS } from './dates'
import { DeviceStore, StoreError } from './store'

const ROOT = { id: 1210, name: 'Acme', uuid: 'c674021e-77f8-4f50-9b5a-57313b41f970' }
const clock: Clock = { now: () => Date.UTC(2024, 4, 20), sleep: async () => undefined }

function makeStore(unenrolledCompliance?: 'keep' | 'NotAvailable'): DeviceStore {
  return unenrolledCompliance === undefined
    ? new DeviceStore({ clock, seed: 1, group: ROOT })
    : new DeviceStore({ clock, seed: 1, group: ROOT, unenrolledCompliance })
}

function record(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Udid: 'F0B26536B5A0B2B5C0EC60985F162086',
    SerialNumber: 'ABC1234',
    Id: { Value: 77 },
    Uuid: 'fad0a249-75e0-46fb-92da-0ce65317daf0',
    ...overrides,
  }
}

function importError(body: unknown): StoreError {
  try {
    makeStore().importSearchExport(body)
  } catch (error) {
    if (error instanceof StoreError) return error
    throw error
  }
  throw new Error('import did not fail')
}

describe('importSearchExport', () => {
  it('imports a bare list, a Devices body and the XSOAR context shape', () => {
    expect(makeStore().importSearchExport([record()])).toBe(1)
    expect(makeStore().importSearchExport({ Devices: [record()] })).toBe(1)
    expect(makeStore().importSearchExport({ VMwareWorkspaceONEUEM: { Device: [record()] } })).toBe(1)
  })

  it('keeps ids, uuids and the exact serial', () => {
    const store = makeStore()
    store.importSearchExport({ Devices: [record({ SerialNumber: 'C02FAKEWS01 ' })] })
    const device = store.get({ uuid: 'fad0a249-75e0-46fb-92da-0ce65317daf0' })
    expect(device?.id).toBe(77)
    expect(device?.serialNumber).toBe('C02FAKEWS01 ')
  })

  it('treats a record without ComplianceSummary as never evaluated', () => {
    const store = makeStore()
    store.importSearchExport([record({ ComplianceStatus: 'Compliant', LastComplianceCheckOn: '0001-01-01T00:00:00.000' })])
    const device = store.get({ id: 77 })
    expect(device?.evaluated).toBe(false)
    expect(device?.complianceStatus).toBe('Compliant')
    expect(device?.lastComplianceCheckOn).toBe(NEVER_MS)
  })

  it('keeps a stated status that the policies alone would not give', () => {
    const store = makeStore()
    store.importSearchExport([record({ ComplianceStatus: 'NonCompliant' })])
    const device = store.get({ id: 77 })
    expect(device?.complianceStatus).toBe('NonCompliant')
    // A policy change replaces the imported status with the derived one.
    const changed = store.setPolicy({ id: 77 }, 'Encryption', { compliant: true })
    expect(changed.complianceStatus).toBe('Compliant')
  })

  it('applies unenrolledCompliance to imported records', () => {
    const store = makeStore('NotAvailable')
    store.importSearchExport([record({ EnrollmentStatus: 'Unenrolled', ComplianceStatus: 'NonCompliant' })])
    expect(store.get({ id: 77 })?.complianceStatus).toBe('NotAvailable')
  })

  it('reads EasIds lists', () => {
    const store = makeStore()
    store.importSearchExport([record({ EasIds: { EasId: ['EAS9'] } })])
    expect(store.lookup('EasId', 'EAS9')?.id).toBe(77)
  })

  it('rejects a uuid that is already stored', () => {
    const store = makeStore()
    store.importSearchExport([record()])
    expect(() => store.importSearchExport([record({ Id: { Value: 78 } })])).toThrow(/already exists/)
  })

  it.each([
    [{ Items: [] }, 'expected a /devices/search body'],
    [[record({ Id: 'x' })], 'Devices[0].Id'],
    [[record({ Uuid: '' })], 'Devices[0].Uuid'],
    [[record({ LastSeen: 'last week' })], 'Devices[0].LastSeen "last week"'],
    [[record({ CompromisedStatus: 'yes' })], 'Devices[0].CompromisedStatus'],
    [[record({ ComplianceSummary: { DeviceCompliance: [{ CompliantStatus: 'no' }] } })], 'DeviceCompliance[0].CompliantStatus'],
    [[42], 'Devices[0]'],
  ])('rejects %j', (body, fragment) => {
    const error = importError(body)
    expect(error.code).toBe('invalid_spec')
    expect(error.message).toContain(fragment)
  })
})
