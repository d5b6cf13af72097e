import type { Clock } from './types'
import { NEVER_MS } from './dates'
import { DeviceStore, StoreError, type StoreOptions } from './store'

const NOW = Date.UTC(2024, 4, 20, 8, 0, 0)
const ROOT = { id: 1210, name: 'Acme', uuid: 'c674021e-77f8-4f50-9b5a-57313b41f970' }

function fixedClock(start = NOW): Clock & { advance(ms: number): void } {
  let now = start
  return {
    now: () => now,
    sleep: async () => undefined,
    advance: (ms: number) => {
      now += ms
    },
  }
}

function makeStore(options: Partial<StoreOptions> = {}): DeviceStore {
  return new DeviceStore({ clock: fixedClock(), seed: 42, group: ROOT, ...options })
}

function expectStoreError(action: () => unknown, code: string, fragment: string): void {
  let caught: unknown
  try {
    action()
  } catch (error) {
    caught = error
  }
  expect(caught).toBeInstanceOf(StoreError)
  expect((caught as StoreError).code).toBe(code)
  expect((caught as StoreError).message).toContain(fragment)
}

describe('DeviceStore.add', () => {
  it('fills defaults from a serial alone', () => {
    const store = makeStore()
    const device = store.add({ serialNumber: 'FAKE00001' })
    expect(device.serialNumber).toBe('FAKE00001')
    expect(device.id).toBeGreaterThan(0)
    expect(device.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(device.platform).toBe('WinRT')
    expect(device.enrollmentStatus).toBe('Enrolled')
    expect(device.group).toEqual(ROOT)
    expect(device.macAddress).toMatch(/^[0-9A-F]{12}$/)
  })

  it('keeps the serial exactly as given', () => {
    const store = makeStore()
    expect(store.add({ serialNumber: ' C02FAKEWS01 ' }).serialNumber).toBe(' C02FAKEWS01 ')
    expect(store.add({ serialNumber: '' }).serialNumber).toBe('')
  })

  it('gives the same defaults for the same seed', () => {
    const first = makeStore().add({ serialNumber: 'A1' })
    const second = makeStore().add({ serialNumber: 'A1' })
    expect(JSON.stringify(second)).toBe(JSON.stringify(first))
  })

  it('rejects a taken id', () => {
    const store = makeStore()
    store.add({ id: 5, serialNumber: 'A' })
    expectStoreError(() => store.add({ id: 5, serialNumber: 'B' }), 'conflict', 'Device id 5 already exists')
  })

  it('rejects a taken uuid in any case', () => {
    const store = makeStore()
    store.add({ uuid: 'aaaaaaaa-0000-4000-8000-000000000001', serialNumber: 'A' })
    expectStoreError(
      () => store.add({ uuid: 'AAAAAAAA-0000-4000-8000-000000000001', serialNumber: 'B' }),
      'conflict',
      'already exists',
    )
  })

  it.each([
    [{ serialNumber: 7 }, 'serialNumber'],
    [{ serialNumber: 'A', platform: 'Windows' }, 'platform "Windows"'],
    [{ serialNumber: 'A', ownership: 'X' }, 'ownership "X"'],
    [{ serialNumber: 'A', lastSeen: 'tomorrow' }, 'lastSeen "tomorrow"'],
    [{ serialNumber: 'A', macAddress: 'zz' }, 'macAddress "zz"'],
    [{ serialNumber: 'A', enrollmentStatus: 'Active' }, 'enrollmentStatus "Active"'],
    [{ serialNumber: 'A', policies: [{ name: '' }] }, 'policies[0]'],
    [{ serialNumber: 'A', id: -3 }, 'id -3'],
  ])('rejects invalid spec %j', (spec, fragment) => {
    const store = makeStore()
    expectStoreError(() => store.add(spec as never), 'invalid_spec', fragment)
  })

  it('increases the version on every change', () => {
    const store = makeStore()
    const start = store.version
    const device = store.add({ serialNumber: 'A' })
    expect(store.version).toBeGreaterThan(start)
    const afterAdd = store.version
    store.update({ id: device.id }, { model: 'Latitude 5440' })
    expect(store.version).toBeGreaterThan(afterAdd)
  })
})

describe('DeviceStore compliance', () => {
  it('reports a device without policies as never evaluated', () => {
    const device = makeStore().add({ serialNumber: 'NEVER1' })
    expect(device.complianceStatus).toBe('Compliant')
    expect(device.lastComplianceCheckOn).toBe(NEVER_MS)
  })

  it('reports evaluated false as never evaluated even with policies', () => {
    const device = makeStore().add({
      serialNumber: 'NEVER2',
      evaluated: false,
      policies: [{ name: 'Encryption', compliant: false }],
    })
    expect(device.complianceStatus).toBe('Compliant')
    expect(device.lastComplianceCheckOn).toBe(NEVER_MS)
  })

  it('needs every policy passing to be compliant', () => {
    const store = makeStore()
    const passing = store.add({
      serialNumber: 'P1',
      policies: [{ name: 'Encryption' }, { name: 'OS Version' }],
    })
    const failing = store.add({
      serialNumber: 'P2',
      policies: [{ name: 'Encryption' }, { name: 'OS Version', compliant: false }],
    })
    const pending = store.add({
      serialNumber: 'P3',
      policies: [{ name: 'Encryption' }, { name: 'OS Version', pending: true }],
    })
    expect(passing.complianceStatus).toBe('Compliant')
    expect(failing.complianceStatus).toBe('NonCompliant')
    expect(pending.complianceStatus).toBe('NonCompliant')
  })

  it('takes the latest policy check as LastComplianceCheckOn', () => {
    const device = makeStore().add({
      serialNumber: 'P4',
      policies: [
        { name: 'Encryption', lastCheck: '2024-05-01T10:00:00.000' },
        { name: 'OS Version', lastCheck: '2024-05-02T11:00:00.000' },
      ],
    })
    expect(device.lastComplianceCheckOn).toBe(Date.UTC(2024, 4, 2, 11))
  })

  it('setPolicy adds or changes one policy at the clock time', () => {
    const clock = fixedClock()
    const store = new DeviceStore({ clock, seed: 1, group: ROOT })
    const device = store.add({ serialNumber: 'SP1', policies: [{ name: 'Encryption' }] })
    clock.advance(60_000)
    const failed = store.setPolicy({ id: device.id }, 'Encryption', { compliant: false })
    expect(failed.complianceStatus).toBe('NonCompliant')
    expect(failed.lastComplianceCheckOn).toBe(NOW + 60_000)
    const added = store.setPolicy({ id: device.id }, 'Firewall', { compliant: true })
    expect(added.policies.map((policy) => policy.name)).toEqual(['Encryption', 'Firewall'])
    const fixed = store.setPolicy({ id: device.id }, 'Encryption', { compliant: true })
    expect(fixed.complianceStatus).toBe('Compliant')
  })

  it('gives one policy name the same id on every device', () => {
    const store = makeStore()
    const first = store.add({ serialNumber: 'A', policies: [{ name: 'Encryption' }] })
    const second = store.add({ serialNumber: 'B', policies: [{ name: 'Encryption' }] })
    expect(second.policies[0]?.id).toBe(first.policies[0]?.id)
    expect(second.policies[0]?.uuid).toBe(first.policies[0]?.uuid)
  })

  it.each([
    ['keep', 'NonCompliant'],
    ['NotAvailable', 'NotAvailable'],
    ['NonCompliant', 'NonCompliant'],
  ] as const)('applies unenrolledCompliance %s', (option, expected) => {
    const store = makeStore({ unenrolledCompliance: option })
    const device = store.add({ serialNumber: 'U1', policies: [{ name: 'Encryption', compliant: false }] })
    expect(store.unenroll({ id: device.id }).complianceStatus).toBe(expected)
  })

  it('keeps compliant unenrolled devices compliant by default', () => {
    const store = makeStore()
    const device = store.add({ serialNumber: 'U2', policies: [{ name: 'Encryption' }] })
    expect(store.unenroll({ id: device.id }).complianceStatus).toBe('Compliant')
  })
})

describe('DeviceStore lookups', () => {
  it('finds by id, uuid in any case and exact serial', () => {
    const store = makeStore()
    const device = store.add({ serialNumber: 'LGH871c18f631a' })
    expect(store.get({ id: device.id })).toBe(device)
    expect(store.get({ uuid: device.uuid.toUpperCase() })).toBe(device)
    expect(store.get({ serialNumber: 'LGH871c18f631a' })).toBe(device)
    expect(store.get({ serialNumber: 'LGH871C18F631A' })).toBeUndefined()
  })

  it('looks up by every searchby kind', () => {
    const store = makeStore()
    const device = store.add({
      serialNumber: 'SER1',
      udid: '6bf0f04c73681fbecfc3eb4f13cbf05b',
      macAddress: '84:85:06:b9:00:ba',
      imei: '354833052322837',
      platform: 'Android',
    })
    expect(store.lookup('Serialnumber', 'SER1')).toBe(device)
    expect(store.lookup('Udid', '6BF0F04C73681FBECFC3EB4F13CBF05B')).toBe(device)
    expect(store.lookup('Macaddress', '848506B900BA')).toBe(device)
    expect(store.lookup('Macaddress', '84-85-06-b9-00-ba')).toBe(device)
    expect(store.lookup('ImeiNumber', '354833052322837')).toBe(device)
    expect(store.lookup('DeviceId', String(device.id))).toBe(device)
    expect(store.lookup('DeviceId', 'abc')).toBeUndefined()
    expect(store.lookup('Serialnumber', 'NOPE')).toBeUndefined()
  })

  it('follows update, remove and reenroll', () => {
    const store = makeStore()
    const device = store.add({ serialNumber: 'OLD1', macAddress: '111111111111' })
    // Build the serial and MAC indexes before the changes.
    expect(store.lookup('Serialnumber', 'OLD1')).toBe(device)
    expect(store.lookup('Macaddress', '111111111111')).toBe(device)

    const renamed = store.update({ id: device.id }, { serialNumber: 'NEW1', macAddress: '222222222222' })
    expect(store.lookup('Serialnumber', 'OLD1')).toBeUndefined()
    expect(store.lookup('Serialnumber', 'NEW1')).toBe(renamed)
    expect(store.lookup('Macaddress', '111111111111')).toBeUndefined()
    expect(store.lookup('Macaddress', '222222222222')).toBe(renamed)
    expect(store.get({ id: device.id })).toBe(renamed)

    const fresh = store.reenroll({ id: device.id })
    expect(fresh.id).not.toBe(device.id)
    expect(fresh.uuid).not.toBe(device.uuid)
    expect(store.findBySerial('NEW1').map((entry) => entry.id)).toEqual([device.id, fresh.id])
    expect(store.get({ id: device.id })?.enrollmentStatus).toBe('Unenrolled')
    expect(fresh.enrollmentStatus).toBe('Enrolled')
    expect(fresh.enrolledOn).toBe(NOW)

    store.remove({ id: device.id })
    expect(store.get({ id: device.id })).toBeUndefined()
    expect(store.get({ uuid: device.uuid })).toBeUndefined()
    expect(store.findBySerial('NEW1')).toEqual([fresh])
    expect(store.count()).toBe(1)
  })

  it('rejects changes to unknown devices', () => {
    const store = makeStore()
    expectStoreError(() => store.update({ id: 99 }, { model: 'X' }), 'not_found', '"id":99')
    expectStoreError(() => store.remove({ serialNumber: 'X' }), 'not_found', 'serialNumber')
  })

  it('rejects id and uuid changes in update', () => {
    const store = makeStore()
    const device = store.add({ serialNumber: 'A' })
    expectStoreError(() => store.update({ id: device.id }, { id: device.id + 1 }), 'invalid_spec', 'ids cannot change')
  })

  describe('duplicate serial tie-break', () => {
    function storeWithDuplicates(option?: StoreOptions['duplicateSerialLookup']): DeviceStore {
      const store = option === undefined ? makeStore() : makeStore({ duplicateSerialLookup: option })
      store.add({ id: 2002, serialNumber: 'R58FAKE0001', enrollmentStatus: 'Enrolled' })
      store.add({ id: 1001, serialNumber: 'R58FAKE0001', enrollmentStatus: 'Unenrolled' })
      store.add({ id: 3003, serialNumber: 'R58FAKE0001', enrollmentStatus: 'Enrolled' })
      return store
    }

    it('returns the oldest id by default', () => {
      expect(storeWithDuplicates().lookup('Serialnumber', 'R58FAKE0001')?.id).toBe(1001)
    })

    it('returns the newest id with newest-id', () => {
      expect(storeWithDuplicates('newest-id').lookup('Serialnumber', 'R58FAKE0001')?.id).toBe(3003)
    })

    it('returns the oldest enrolled record with enrolled-first', () => {
      expect(storeWithDuplicates('enrolled-first').lookup('Serialnumber', 'R58FAKE0001')?.id).toBe(2002)
    })

    it('lists every record in findBySerial', () => {
      const ids = storeWithDuplicates().findBySerial('R58FAKE0001').map((device) => device.id)
      expect(ids.sort()).toEqual([1001, 2002, 3003])
    })
  })
})

describe('lookup by serial comparison', () => {
  function storeWithSerials(option?: StoreOptions['serialLookupMatch']): DeviceStore {
    const store = option === undefined ? makeStore() : makeStore({ serialLookupMatch: option })
    store.add({ id: 1, serialNumber: 'UPPER0001' })
    store.add({ id: 2, serialNumber: 'TRAIL0002 ' })
    store.add({ id: 3, serialNumber: 'c02xl0gujgh5' })
    return store
  }

  it('ignores case and trailing spaces by default', () => {
    const store = storeWithSerials()

    expect(store.lookup('Serialnumber', 'upper0001')?.id).toBe(1)
    expect(store.lookup('Serialnumber', 'TRAIL0002')?.id).toBe(2)
    expect(store.lookup('Serialnumber', 'trail0002  ')?.id).toBe(2)
    expect(store.lookup('Serialnumber', 'C02XL0GUJGH5')?.id).toBe(3)
  })

  it('keeps leading spaces significant', () => {
    expect(storeWithSerials().lookup('Serialnumber', ' UPPER0001')).toBeUndefined()
  })

  it('compares the stored string with exact', () => {
    const store = storeWithSerials('exact')

    expect(store.lookup('Serialnumber', 'upper0001')).toBeUndefined()
    expect(store.lookup('Serialnumber', 'TRAIL0002')).toBeUndefined()
    expect(store.lookup('Serialnumber', 'TRAIL0002 ')?.id).toBe(2)
  })

  it('follows serial changes', () => {
    const store = storeWithSerials()
    expect(store.lookup('Serialnumber', 'upper0001')?.id).toBe(1)

    store.update({ id: 1 }, { serialNumber: 'RENAMED1' })

    expect(store.lookup('Serialnumber', 'upper0001')).toBeUndefined()
    expect(store.lookup('Serialnumber', 'renamed1')?.id).toBe(1)
  })
})

describe('DeviceStore ordering', () => {
  it('keeps devices in id order whatever the insertion order', () => {
    const store = makeStore()
    store.add({ id: 30, serialNumber: 'C' })
    store.add({ id: 10, serialNumber: 'A' })
    store.add({ id: 20, serialNumber: 'B' })
    expect(store.devices().map((device) => device.id)).toEqual([10, 20, 30])
  })

  it('places generated fleets after existing ids', () => {
    const store = makeStore()
    store.add({ id: 5000, serialNumber: 'X' })
    expect(store.generate({ count: 3, serialPrefix: 'G' })).toBe(3)
    expect(store.devices().map((device) => device.id)).toEqual([5000, 5001, 5002, 5003])
  })

  it('rejects a fleet that would reuse ids', () => {
    const store = makeStore()
    store.add({ id: 7, serialNumber: 'X' })
    expectStoreError(() => store.generate({ count: 3, firstId: 5 }), 'conflict', 'Fleet id 7 already exists')
  })
})

describe('DeviceStore snapshots', () => {
  it('restores the same devices and rendering state', () => {
    const store = makeStore()
    store.generate({ count: 25, seed: 9, quirks: { duplicateSerials: 2, neverEvaluated: 2 } })
    const device = store.add({ serialNumber: 'SNAP1', policies: [{ name: 'Encryption', compliant: false }] })
    const snapshot = JSON.parse(JSON.stringify(store.toJSON())) as unknown
    const restored = DeviceStore.fromJSON(snapshot, { clock: fixedClock(), seed: 42, group: ROOT })
    expect(restored.count()).toBe(store.count())
    expect(JSON.stringify(restored.devices())).toBe(JSON.stringify(store.devices()))
    expect(restored.lookup('Serialnumber', 'SNAP1')?.complianceStatus).toBe('NonCompliant')
    // Policy ids continue from the snapshot rather than starting over.
    const added = restored.setPolicy({ id: device.id }, 'Firewall', {})
    const firewall = added.policies.find((policy) => policy.name === 'Firewall')
    const known = new Set(device.policies.map((policy) => policy.id))
    expect(firewall).toBeDefined()
    expect(known.has(firewall?.id ?? -1)).toBe(false)
  })

  it('rejects data that is not a snapshot', () => {
    expectStoreError(
      () => DeviceStore.fromJSON({ devices: [] }, { clock: fixedClock(), seed: 1, group: ROOT }),
      'invalid_spec',
      'DeviceStore.toJSON()',
    )
  })

  it('clear empties the store', () => {
    const store = makeStore()
    store.generate({ count: 5 })
    store.clear()
    expect(store.count()).toBe(0)
    expect(store.lookup('DeviceId', '1001')).toBeUndefined()
  })
})
