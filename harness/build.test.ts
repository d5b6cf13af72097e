import type { DeviceSummary } from '../mock-workspace-one/types'
import { buildCloudflareDevices, buildScenarioCheckerOptions } from './build'
import type { ScenarioSpec } from './spec'

function summary(id: number, serialNumber: string, platform = 'WinRT'): DeviceSummary {
  return { id, uuid: `u-${id}`, serialNumber, platform, enrollmentStatus: 'Enrolled', userEmail: null, friendlyName: null }
}

const FLEET = [
  summary(1, ' FAKE00001 ', 'AppleOsX'),
  summary(2, 'fake00001'),
  summary(3, ''),
  summary(4, 'FAKE00004', 'Linux'),
  summary(5, 'FAKE00005', 'Apple'),
]

describe('buildCloudflareDevices', () => {
  test('explicit devices come before the mirror', () => {
    const spec: ScenarioSpec = {
      name: 'mirror',
      cloudflare: {
        devices: [{ device_id: 'd-explicit', serial_number: null, platform: 'android', email: 'a@example.test' }],
        mirror_fleet: true,
      },
    }

    const devices = buildCloudflareDevices(spec, { listDevices: () => FLEET })

    expect(devices).toEqual([
      { device_id: 'd-explicit', serial_number: null, platform: 'android', email: 'a@example.test' },
      { device_id: 'cf-00001', serial_number: 'FAKE00001', platform: 'mac' },
      { device_id: 'cf-00002', serial_number: 'FAKE00004', platform: 'linux' },
      { device_id: 'cf-00003', serial_number: 'FAKE00005', platform: 'ios' },
    ])
  })

  test('except and overrides apply', () => {
    const spec: ScenarioSpec = {
      name: 'mirror',
      cloudflare: {
        mirror_fleet: {
          except: ['FAKE00004'],
          overrides: [{ serial: 'FAKE00005', device_id: 'd-phone', serial_number: ' fake00005', platform: 'android' }],
        },
      },
    }

    const devices = buildCloudflareDevices(spec, { listDevices: () => FLEET })

    expect(devices.map((device) => device.device_id)).toEqual(['cf-00001', 'd-phone'])
    expect(devices[1]).toEqual({ device_id: 'd-phone', serial_number: ' fake00005', platform: 'android' })
  })

  test('no mirror reads no fleet', () => {
    const listDevices = jest.fn(() => FLEET)

    const devices = buildCloudflareDevices({ name: 'explicit only' }, { listDevices })

    expect(devices).toEqual([])
    expect(listDevices).not.toHaveBeenCalled()
  })
})

describe('buildScenarioCheckerOptions', () => {
  test('reads the section, tenant code and seed', () => {
    const spec: ScenarioSpec = {
      name: 'options',
      seed: 9,
      tenant: { tenant_code: 'CODE1' },
      cloudflare: { checker: { strict_unevaluated: true, max_backoff: '2s', tenant_code: true } },
    }

    expect(buildScenarioCheckerOptions(spec)).toEqual({ strictUnevaluated: true, maxBackoffMs: 2000, tenantCode: 'CODE1', seed: 9 })
  })

  test('defaults to seed 1 and no options', () => {
    expect(buildScenarioCheckerOptions({ name: 'defaults' })).toEqual({ seed: 1 })
  })
})
