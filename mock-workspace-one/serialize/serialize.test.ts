import type { Clock } from '../types'
import { DeviceStore } from '../store'
import { toV1Record } from './v1'
import { toV2DeviceRecord } from './v2'
import { toV3DeviceRecord, toV3SearchRecord } from './v3'
import { toComplianceByIdRecord } from './compliance'
import { toSecurityRecord } from './security'

const ROOT = { id: 1210, name: 'Acme', uuid: 'c674021e-77f8-4f50-9b5a-57313b41f970' }
const clock: Clock = { now: () => Date.UTC(2024, 4, 20), sleep: async () => undefined }

function makeStore(): DeviceStore {
  return new DeviceStore({ clock, seed: 2, group: ROOT })
}

describe('v1 record', () => {
  it('leaves out ComplianceSummary for a never-evaluated device', () => {
    const device = makeStore().add({ serialNumber: 'N1' })
    const record = toV1Record(device, true)
    expect(record).not.toHaveProperty('ComplianceSummary')
    expect(record['ComplianceStatus']).toBe('Compliant')
    expect(record['LastComplianceCheckOn']).toBe('0001-01-01T00:00:00.000')
  })

  it('lists policies in ComplianceSummary', () => {
    const device = makeStore().add({
      serialNumber: 'N2',
      policies: [{ name: 'Encryption', compliant: false, lastCheck: '2024-05-19T07:27:40.487Z' }],
    })
    const record = toV1Record(device, true)
    expect(record['ComplianceSummary']).toEqual({
      DeviceCompliance: [
        {
          CompliantStatus: false,
          PolicyName: 'Encryption',
          PolicyDetail: 'Encryption',
          LastComplianceCheck: '2024-05-19T07:27:40.487',
          NextComplianceCheck: '0001-01-01T00:00:00.000',
          ActionTaken: [{ ActionType: 1 }],
          Id: { Value: device.policies[0]?.id },
          Uuid: device.policies[0]?.uuid,
        },
      ],
    })
    expect(record['LastComplianceCheckOn']).toBe('2024-05-19T07:27:40.487')
  })

  it('leaves CompromisedStatus out when null', () => {
    const device = makeStore().add({ serialNumber: 'N3', compromised: null })
    expect(toV1Record(device, true)).not.toHaveProperty('CompromisedStatus')
  })

  it('keeps the user name with its double space', () => {
    const device = makeStore().add({ serialNumber: 'N4', userFullName: 'user  user' })
    expect((toV1Record(device, false)['UserId'] as Record<string, unknown>)['Name']).toBe('user  user')
  })
})

describe('v2 get-by-uuid record', () => {
  it('maps ownership and enrollment to the wire strings', () => {
    const store = makeStore()
    const device = store.add({ serialNumber: 'V2', ownership: 'C' })
    const unenrolled = store.unenroll({ id: device.id })
    const enrollment = toV2DeviceRecord(unenrolled, 'http://h')['enrollmentInfo'] as Record<string, unknown>
    expect(enrollment['ownership']).toBe('CORPORATE')
    expect(enrollment['enrollmentStatus']).toBe('UNENROLLED')
  })
})

describe('v3 records', () => {
  it('uses integer enumerations', () => {
    const store = makeStore()
    const device = store.add({
      serialNumber: 'V3',
      platform: 'Android',
      ownership: 'E',
      policies: [{ name: 'Encryption', compliant: false }, { name: 'Passcode', pending: true }, { name: 'OS' }],
    })
    const record = toV3SearchRecord(device)
    expect(record['ownership']).toBe(2)
    expect(record['device_type']).toBe(5)
    expect(record['enrollment_status']).toBe(4)
    expect(record['compliance_status']).toBe(2)
    const summary = record['compliance_summary'] as { compliance_policy_results: Array<Record<string, unknown>> }
    expect(summary.compliance_policy_results.map((policy) => policy['compliance_status'])).toEqual([2, 0, 1])
  })

  it('keeps PascalCase Id and Uuid in search items and lower-case ids by uuid', () => {
    const device = makeStore().add({ serialNumber: 'V3B' })
    expect(toV3SearchRecord(device)['Id']).toEqual({ Value: device.id })
    expect(toV3SearchRecord(device)['Uuid']).toBe(device.uuid)
    expect(toV3DeviceRecord(device, 'http://h')['id']).toBe(device.id)
    expect(toV3DeviceRecord(device, 'http://h')['uuid']).toBe(device.uuid)
  })
})

describe('compliance record', () => {
  it('states the overall status as the device status', () => {
    const store = makeStore()
    const passing = store.add({ serialNumber: 'C1', policies: [{ name: 'Encryption' }] })
    const failing = store.add({ serialNumber: 'C2', policies: [{ name: 'Encryption', compliant: false }] })
    expect(toComplianceByIdRecord(passing, 0, 500)['OverallCompliantStatus']).toBe('Compliant')
    expect(toComplianceByIdRecord(failing, 0, 500)['OverallCompliantStatus']).toBe('NonCompliant')
  })
})

describe('security record', () => {
  it('reports compromise and encryption', () => {
    const device = makeStore().add({ serialNumber: 'S1', compromised: true })
    const record = toSecurityRecord(device)
    expect(record['IsCompromised']).toBe(true)
    expect(record['IsEncrypted']).toBe(device.attributes.encrypted)
  })
})
