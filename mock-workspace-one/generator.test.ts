import type { Clock, FleetOptions } from './types'
import { DeviceStore, StoreError } from './store'
import { renderSearch, parseSearchQuery } from './render'
import { PLACEHOLDER_SERIALS, makeImei, makeSerial, type SerialFormat } from './generator-serials'
import { Random } from './generator-random'
import type { Device } from './device'

const NOW = Date.UTC(2024, 4, 20, 8, 0, 0)
const ROOT = { id: 1210, name: 'Acme', uuid: 'c674021e-77f8-4f50-9b5a-57313b41f970' }
const clock: Clock = { now: () => NOW, sleep: async () => undefined }

function generate(options: FleetOptions, seed = 1): DeviceStore {
  const store = new DeviceStore({ clock, seed, group: ROOT })
  store.generate(options)
  return store
}

/** Renders every page of the v1 search and concatenates them, as a client would download them. */
function allPages(store: DeviceStore): string {
  const parsed = parseSearchQuery({}, 1)
  if (!parsed.ok) throw new Error(parsed.message)
  const bodies: string[] = []
  for (let page = 0; ; page++) {
    const result = renderSearch(store, { ...parsed.query, page }, 1)
    if (result.status === 204) break
    bodies.push(result.body.toString('utf8'))
  }
  return bodies.join('\n')
}

describe('generateFleet determinism', () => {
  const options: FleetOptions = {
    count: 600,
    quirks: { duplicateSerials: 5, whitespaceSerials: 5, caseVariantSerials: 5, placeholderSerials: 5, neverEvaluated: 5 },
  }

  it('gives byte-identical output for the same seed', () => {
    expect(allPages(generate({ ...options, seed: 11 }))).toBe(allPages(generate({ ...options, seed: 11 })))
  })

  it('gives different output for another seed', () => {
    expect(allPages(generate({ ...options, seed: 12 }))).not.toBe(allPages(generate({ ...options, seed: 11 })))
  })

  it('uses the store seed when the options give none', () => {
    expect(allPages(generate({ count: 50 }, 5))).toBe(allPages(generate({ count: 50 }, 5)))
    expect(allPages(generate({ count: 50 }, 5))).not.toBe(allPages(generate({ count: 50 }, 6)))
  })
})

describe('generateFleet options', () => {
  it('numbers predictable serials from the prefix', () => {
    const devices = generate({ count: 3, serialPrefix: 'FAKE' }).devices()
    expect(devices.map((device) => device.serialNumber)).toEqual(['FAKE00001', 'FAKE00002', 'FAKE00003'])
  })

  it('starts ids at firstId', () => {
    const devices = generate({ count: 2, firstId: 70 }).devices()
    expect(devices.map((device) => device.id)).toEqual([70, 71])
  })

  it('follows platform weights', () => {
    const devices = generate({ count: 200, platforms: { ios: 1, android: 1 } }).devices()
    const platforms = new Set(devices.map((device) => device.platform))
    expect([...platforms].sort()).toEqual(['Android', 'Apple'])
  })

  it('follows ownership weights', () => {
    const devices = generate({ count: 50, ownership: { S: 1 } }).devices()
    expect(new Set(devices.map((device) => device.ownership))).toEqual(new Set(['S']))
  })

  it('applies the unenrolled rate', () => {
    const devices = generate({ count: 400, unenrolledRate: 0.5 }).devices()
    const unenrolled = devices.filter((device) => device.enrollmentStatus === 'Unenrolled').length
    expect(unenrolled).toBeGreaterThan(120)
    expect(unenrolled).toBeLessThan(280)
  })

  it('fails and leaves pending per policy rates', () => {
    const devices = generate({
      count: 300,
      policies: [
        { name: 'Always fails', failureRate: 1 },
        { name: 'Always pending', pendingRate: 1 },
      ],
    }).devices()
    for (const device of devices) {
      const [fails, pending] = device.policies
      expect(fails?.compliant).toBe(false)
      expect(fails?.actions).toEqual([1])
      expect(pending?.pending).toBe(true)
      expect(device.complianceStatus).toBe('NonCompliant')
    }
  })

  it('spreads last seen over the given window', () => {
    const spread = 3_600_000
    const devices = generate({ count: 100, lastSeenSpreadMs: spread }).devices()
    for (const device of devices) {
      expect(device.lastSeen).toBeLessThanOrEqual(NOW)
      expect(device.lastSeen).toBeGreaterThan(NOW - spread - 1)
    }
  })

  it.each([
    [{ count: -1 }, 'count -1'],
    [{ count: 1.5 }, 'count 1.5'],
    [{ count: 10, unenrolledRate: 2 }, 'unenrolledRate 2'],
    [{ count: 10, platforms: { windows: 0 } }, 'platforms'],
    [{ count: 10, platforms: { beos: 1 } }, '"beos"'],
    [{ count: 10, policies: [{ name: 'X', failureRate: -0.1 }] }, 'policies[0].failureRate'],
    [{ count: 10, quirks: { duplicateSerials: 6 } }, 'quirks.duplicateSerials 6'],
  ])('rejects %j', (options, fragment) => {
    const store = new DeviceStore({ clock, seed: 1, group: ROOT })
    let caught: unknown
    try {
      store.generate(options as FleetOptions)
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(StoreError)
    expect((caught as StoreError).code).toBe('invalid_spec')
    expect((caught as StoreError).message).toContain(fragment)
  })
})

describe('generateFleet quirks', () => {
  const store = generate({
    count: 400,
    seed: 21,
    quirks: { duplicateSerials: 4, whitespaceSerials: 3, caseVariantSerials: 3, placeholderSerials: 3, neverEvaluated: 6 },
  })
  const devices = store.devices()

  it('counts duplicates inside the total', () => {
    expect(devices).toHaveLength(400)
  })

  it('plants stale duplicate records', () => {
    const bySerial = new Map<string, Device[]>()
    for (const device of devices) {
      if (PLACEHOLDER_SERIALS.includes(device.serialNumber)) continue
      bySerial.set(device.serialNumber, [...(bySerial.get(device.serialNumber) ?? []), device])
    }
    const pairs = [...bySerial.values()].filter((records) => records.length > 1)
    expect(pairs).toHaveLength(4)
    for (const [older, newer] of pairs) {
      expect(older?.enrollmentStatus).toBe('Unenrolled')
      expect(newer?.id).toBe((older?.id ?? 0) + 1)
      expect(older?.uuid).not.toBe(newer?.uuid)
      expect(older?.lastSeen ?? 0).toBeLessThan(newer?.lastSeen ?? 0)
    }
  })

  it('plants whitespace, lower-case and placeholder serials', () => {
    const whitespace = devices.filter((device) => device.serialNumber !== device.serialNumber.trim())
    const lowerCase = devices.filter((device) => /^[a-z0-9]*[a-z][a-z0-9]*$/.test(device.serialNumber))
    const placeholders = devices.filter((device) => PLACEHOLDER_SERIALS.includes(device.serialNumber))
    expect(whitespace).toHaveLength(3)
    expect(lowerCase).toHaveLength(3)
    expect(placeholders.length).toBeGreaterThanOrEqual(3)
  })

  it('plants devices that were never evaluated', () => {
    const never = devices.filter((device) => !device.evaluated)
    expect(never).toHaveLength(6)
    for (const device of never) expect(device.complianceStatus).toBe('Compliant')
  })
})

describe('generated device realism', () => {
  const devices = generate({ count: 500, seed: 4 }).devices()

  it('sends MAC addresses as 12 upper-case hex digits', () => {
    for (const device of devices) expect(device.macAddress).toMatch(/^[0-9A-F]{12}$/)
  })

  it('follows the friendly-name pattern of each platform', () => {
    for (const device of devices) {
      const lastFour = device.serialNumber.trim().slice(-4)
      const name = device.friendlyName ?? ''
      switch (device.platform) {
        case 'WinRT':
          expect(name).toBe(`${device.userName} ${device.model} Windows Desktop ${device.operatingSystem} ${lastFour}`)
          break
        case 'Android':
          expect(name).toBe(`${device.userName} Android Android ${device.operatingSystem} ${lastFour}`)
          break
        case 'Apple':
          expect(name).toMatch(new RegExp(`^(iPhone|iPad) iOS ${device.operatingSystem?.replace(/\./g, '\\.')} ${lastFour}$`))
          break
        default:
          expect(name.endsWith(` ${lastFour}`)).toBe(true)
      }
    }
  })

  it('uses an all-zero or empty EnrollmentUserUuid', () => {
    for (const device of devices) {
      expect(['00000000-0000-0000-0000-000000000000', '']).toContain(device.attributes.enrollmentUserUuid)
    }
  })

  it('gives IMEIs to mobile devices only', () => {
    for (const device of devices) {
      if (device.platform === 'Apple' || device.platform === 'Android') expect(device.imei).toMatch(/^\d{15}$/)
      else expect(device.imei).toBe('')
    }
  })

  it('includes user names with a double space', () => {
    expect(devices.some((device) => device.user?.name.includes('  '))).toBe(true)
  })
})

describe('serial formats', () => {
  const random = new Random(99)

  it.each([
    ['apple-legacy', /^[A-Z0-9]{12}$/],
    ['apple-random', /^[A-Z0-9]{10}$/],
    ['dell', /^[A-Z0-9]{7}$/],
    ['lenovo', /^(PF|MP|PC|R9)[A-Z0-9]{6}$/],
    ['hp', /^(CND|5CG|8CC|MXL)[A-Z0-9]{7}$/],
    ['samsung', /^R[0-9A-Z]{2}[A-Z0-9]{8}$/],
    ['numeric', /^\d{14}$/],
    ['vmware', /^VMware-([0-9a-f]{2} ){7}[0-9a-f]{2}-([0-9a-f]{2} ){7}[0-9a-f]{2}$/],
  ] as const)('draws %s serials', (format, pattern) => {
    for (let i = 0; i < 20; i++) expect(makeSerial(format as SerialFormat, random)).toMatch(pattern)
  })

  it('draws IMEIs with a valid Luhn digit', () => {
    for (let i = 0; i < 20; i++) {
      const imei = makeImei(random)
      let sum = 0
      for (let position = 0; position < 15; position++) {
        let digit = Number(imei.charAt(14 - position))
        if (position % 2 === 1) {
          digit *= 2
          if (digit > 9) digit -= 9
        }
        sum += digit
      }
      expect(sum % 10).toBe(0)
    }
  })
})
