/** Shared builders for the checker's unit tests. */
import type { CheckerConfig, CloudflareDevice, PostureRule } from './types'

export const API_ORIGIN = 'https://ws1.test'
export const API_URL = `${API_ORIGIN}/API`
export const AUTH_ORIGIN = 'https://auth.ws1.test'
export const AUTH_URL = `${AUTH_ORIGIN}/connect/token`

export function makeRule(overrides: Partial<PostureRule> = {}): PostureRule {
  return {
    id: 'rule-compliant',
    name: 'WS1 compliant',
    type: 'workspace_one',
    input: { compliance_status: 'compliant', connection_id: 'ws1' },
    ...overrides,
  }
}

export function makeDevice(deviceId: string, serial: string | null, platform: CloudflareDevice['platform'] = 'windows'): CloudflareDevice {
  return { device_id: deviceId, serial_number: serial, platform }
}

export function makeConfig(devices: CloudflareDevice[], rules: PostureRule[] = [makeRule()]): CheckerConfig {
  return {
    integration: {
      id: 'ws1',
      name: 'Workspace ONE',
      type: 'workspace_one',
      interval: '10m',
      config: { api_url: API_URL, auth_url: AUTH_URL, client_id: 'client-1', client_secret: 'secret-1' },
    },
    rules,
    devices,
  }
}

/** Builds a v2 search record with the keys the checker reads, in Workspace ONE's key order. */
export function ws1Device(
  id: number,
  serial: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    SerialNumber: serial,
    Platform: 'WinRT',
    LastSeen: '2025-12-31T23:00:00.000',
    EnrollmentStatus: 'Enrolled',
    ComplianceStatus: 'Compliant',
    LastComplianceCheckOn: '2025-12-31T22:00:00.000',
    ComplianceSummary: {
      DeviceCompliance: [{ CompliantStatus: true, PolicyName: 'Encryption', Id: { Value: 1 } }],
    },
    Id: { Value: id },
    Uuid: `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`,
    ...overrides,
  }
}

export function searchPage(devices: Array<Record<string, unknown>>, page: number, pageSize: number, total: number): Record<string, unknown> {
  return { Devices: devices, Page: page, PageSize: pageSize, Total: total }
}
