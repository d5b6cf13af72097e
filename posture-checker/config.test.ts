import { ConfigError, parseDuration, validateCheckerConfig } from './index'

function validConfig(): Record<string, any> {
  return {
    integration: {
      id: 'int-1',
      name: 'Workspace ONE',
      type: 'workspace_one',
      interval: '10m',
      config: {
        api_url: 'https://as123.awmdm.com/API',
        auth_url: 'https://na.uemauth.workspaceone.com/connect/token',
        client_id: 'client-1',
        client_secret: 'secret-1',
      },
    },
    rules: [
      {
        name: 'WS1 compliant',
        type: 'workspace_one',
        input: { compliance_status: 'compliant', connection_id: 'int-1' },
        match: [{ platform: 'windows' }],
        expiration: '30m',
      },
    ],
    devices: [{ device_id: 'd1', serial_number: 'SER001', platform: 'windows', email: 'a@example.com' }],
  }
}

function errorsOf(raw: unknown, env: Record<string, string | undefined> = {}): Array<{ key: string; message: string }> {
  const result = validateCheckerConfig(raw, { env })
  return result.ok ? [] : result.errors
}

function onlyError(raw: unknown, env: Record<string, string | undefined> = {}): { key: string; message: string } {
  const errors = errorsOf(raw, env)
  expect(errors).toHaveLength(1)
  return errors[0]!
}

describe('parseDuration', () => {
  test.each([
    ['10m', 600_000],
    ['1h', 3_600_000],
    ['30s', 30_000],
    ['2h30m', 9_000_000],
    ['7d', 604_800_000],
    [' 5m ', 300_000],
  ])('%j is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms)
  })

  test.each([
    ['250ms', 250],
    ['1m30s500ms', 90_500],
  ])('%j with ms is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms)
  })

  test('rejects a duration beyond safe integers', () => {
    expect(() => parseDuration('99999999999999d')).toThrow(ConfigError)
  })

  test.each(['', '10', 'm', '10 m', '1.5h', '30m2h', '-5m', '10min', 'abc', '5ms1s'])('%j is rejected', (text) => {
    expect(() => parseDuration(text)).toThrow(ConfigError)
  })

  test('error names the key and the form', () => {
    try {
      parseDuration('soon', 'integration.interval')
      throw new Error('no error')
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError)
      expect((error as ConfigError).key).toBe('integration.interval')
      expect((error as ConfigError).message).toContain('"10m"')
    }
  })
})

describe('duration limits', () => {
  test.each(['25d', '8d', '99999999999d', '99999999999999d', '999ms'])('interval %j is rejected', (interval) => {
    const raw = validConfig()
    raw['integration'].interval = interval
    const error = onlyError(raw)
    expect(error.key).toBe('integration.interval')
    expect(error.message).toContain('from 1s to 7d')
  })

  test.each(['1s', '7d', '24h'])('interval %j is accepted', (interval) => {
    const raw = validConfig()
    raw['integration'].interval = interval
    expect(errorsOf(raw)).toEqual([])
  })

  test('expiration above 30d is rejected', () => {
    const raw = validConfig()
    raw['rules'][0].expiration = '31d'
    const error = onlyError(raw)
    expect(error.key).toBe('rules[0].expiration')
    expect(error.message).toContain('to 30d')
  })
})

describe('validateCheckerConfig', () => {
  test('accepts a valid configuration', () => {
    const result = validateCheckerConfig(validConfig(), { env: {} })
    expect(result.ok).toBe(true)
    if (result.ok) {
      expect(result.config.integration.config.client_secret).toBe('secret-1')
      expect(result.config.rules[0]!.expiration).toBe('30m')
      expect(result.config.devices[0]!.email).toBe('a@example.com')
    }
  })

  test('connection_id may name the integration by name', () => {
    const raw = validConfig()
    raw['rules'][0].input.connection_id = 'Workspace ONE'
    expect(errorsOf(raw)).toEqual([])
  })

  test('plain http allowed for loopback hosts', () => {
    for (const url of ['http://127.0.0.1:8080/API', 'http://127.1.2.3/API', 'http://localhost:3000/API', 'http://[::1]:9000/API']) {
      const raw = validConfig()
      raw['integration'].config.api_url = url
      expect(errorsOf(raw)).toEqual([])
    }
  })

  test('secret read from WS1_CLIENT_SECRET when absent', () => {
    const raw = validConfig()
    delete raw['integration'].config.client_secret
    const result = validateCheckerConfig(raw, { env: { WS1_CLIENT_SECRET: 'from-env' } })
    expect(result.ok).toBe(true)
    if (result.ok) expect(result.config.integration.config.client_secret).toBe('from-env')
  })

  test('secret read from a named variable', () => {
    const raw = validConfig()
    raw['integration'].config.client_secret = '${MY_SECRET}'
    const result = validateCheckerConfig(raw, { env: { MY_SECRET: 'named' } })
    expect(result.ok).toBe(true)
    if (result.ok) expect(result.config.integration.config.client_secret).toBe('named')
  })

  test('collects several errors at once', () => {
    const raw = validConfig()
    raw['integration'].interval = 'often'
    raw['rules'][0].input.compliance_status = 'green'
    expect(errorsOf(raw).map((error) => error.key)).toEqual(['integration.interval', 'rules[0].input.compliance_status'])
  })

  type Mutation = [name: string, mutate: (raw: Record<string, any>) => void, key: string, fragment: string, env?: Record<string, string>]
  const mutations: Mutation[] = [
    ['not an object', () => undefined, '', 'must be an object'],
    ['unknown top-level key', (raw) => (raw['extra'] = 1), 'extra', 'unknown key'],
    ['missing integration', (raw) => delete raw['integration'], 'integration', 'must be an object'],
    ['missing name', (raw) => delete raw['integration'].name, 'integration.name', 'missing'],
    ['unsupported type', (raw) => (raw['integration'].type = 'intune'), 'integration.type', 'workspace_one'],
    ['missing interval', (raw) => delete raw['integration'].interval, 'integration.interval', '"10m"'],
    ['bad interval', (raw) => (raw['integration'].interval = '10 minutes'), 'integration.interval', '"1h"'],
    ['zero interval', (raw) => (raw['integration'].interval = '0m'), 'integration.interval', 'longer than zero'],
    ['missing config', (raw) => delete raw['integration'].config, 'integration.config', 'api_url'],
    ['missing api_url', (raw) => delete raw['integration'].config.api_url, 'integration.config.api_url', 'missing'],
    ['relative api_url', (raw) => (raw['integration'].config.api_url = 'as123.awmdm.com/API'), 'integration.config.api_url', 'https://'],
    ['http api_url', (raw) => (raw['integration'].config.api_url = 'http://as123.awmdm.com/API'), 'integration.config.api_url', 'loopback'],
    ['ftp auth_url', (raw) => (raw['integration'].config.auth_url = 'ftp://na.example.com/token'), 'integration.config.auth_url', 'https://'],
    ['http auth_url', (raw) => (raw['integration'].config.auth_url = 'http://10.0.0.1/connect/token'), 'integration.config.auth_url', 'loopback'],
    ['empty client_id', (raw) => (raw['integration'].config.client_id = ''), 'integration.config.client_id', 'non-empty'],
    ['missing secret', (raw) => delete raw['integration'].config.client_secret, 'integration.config.client_secret', 'WS1_CLIENT_SECRET'],
    ['unset secret variable', (raw) => (raw['integration'].config.client_secret = '${NOPE}'), 'integration.config.client_secret', 'NOPE'],
    ['empty secret reference', (raw) => (raw['integration'].config.client_secret = '${}'), 'integration.config.client_secret', 'invalid environment variable reference "${}"'],
    ['bad secret reference', (raw) => (raw['integration'].config.client_secret = '${MY-SECRET}'), 'integration.config.client_secret', 'letters, digits and underscores'],
    ['numeric secret', (raw) => (raw['integration'].config.client_secret = 42), 'integration.config.client_secret', 'string'],
    ['rules not a list', (raw) => (raw['rules'] = {}), 'rules', 'non-empty list'],
    ['empty rules', (raw) => (raw['rules'] = []), 'rules', 'non-empty list'],
    ['rule not an object', (raw) => (raw['rules'] = ['x']), 'rules[0]', 'must be an object'],
    ['rule without name', (raw) => delete raw['rules'][0].name, 'rules[0].name', 'missing'],
    ['rule of another type', (raw) => (raw['rules'][0].type = 'crowdstrike_s2s'), 'rules[0].type', 'workspace_one'],
    ['rule without input', (raw) => delete raw['rules'][0].input, 'rules[0].input', 'compliance_status'],
    ['bad compliance_status', (raw) => (raw['rules'][0].input.compliance_status = 'Compliant'), 'rules[0].input.compliance_status', 'compliant, noncompliant, unknown'],
    ['missing compliance_status', (raw) => delete raw['rules'][0].input.compliance_status, 'rules[0].input.compliance_status', 'missing'],
    ['unknown connection_id', (raw) => (raw['rules'][0].input.connection_id = 'other'), 'rules[0].input.connection_id', '"int-1" or "Workspace ONE"'],
    ['missing connection_id', (raw) => delete raw['rules'][0].input.connection_id, 'rules[0].input.connection_id', 'missing'],
    ['match not a list', (raw) => (raw['rules'][0].match = 'windows'), 'rules[0].match', 'list'],
    ['bad platform', (raw) => (raw['rules'][0].match = [{ platform: 'macos' }]), 'rules[0].match[0].platform', 'windows, mac, linux, android, ios, chromeos'],
    ['bad expiration', (raw) => (raw['rules'][0].expiration = '2 hours'), 'rules[0].expiration', '"2h30m"'],
    ['devices not a list', (raw) => (raw['devices'] = 'd1'), 'devices', 'list'],
    ['device not an object', (raw) => (raw['devices'] = [null]), 'devices[0]', 'must be an object'],
    ['device without id', (raw) => delete raw['devices'][0].device_id, 'devices[0].device_id', 'missing'],
    ['duplicate device id', (raw) => raw['devices'].push({ ...raw['devices'][0] }), 'devices[1].device_id', 'duplicate'],
    ['device without serial key', (raw) => delete raw['devices'][0].serial_number, 'devices[0].serial_number', 'null'],
    ['numeric serial', (raw) => (raw['devices'][0].serial_number = 123), 'devices[0].serial_number', 'string or null'],
    ['device platform', (raw) => (raw['devices'][0].platform = 'Windows'), 'devices[0].platform', 'windows, mac'],
    ['device without platform', (raw) => delete raw['devices'][0].platform, 'devices[0].platform', 'missing'],
    ['numeric email', (raw) => (raw['devices'][0].email = 5), 'devices[0].email', 'string'],
  ]

  test.each(mutations)('%s', (_name, mutate, key, fragment) => {
    const raw = validConfig()
    mutate(raw)
    const input = _name === 'not an object' ? 'not a config' : raw
    const error = onlyError(input)
    expect(error.key).toBe(key)
    expect(error.message).toContain(fragment)
  })

  test('null serial is accepted', () => {
    const raw = validConfig()
    raw['devices'][0].serial_number = null
    const result = validateCheckerConfig(raw, { env: {} })
    expect(result.ok).toBe(true)
    if (result.ok) expect(result.config.devices[0]!.serial_number).toBeNull()
  })

  test('extra keys inside Cloudflare objects are ignored', () => {
    const raw = validConfig()
    raw['rules'][0].schedule = '5m'
    raw['rules'][0].enabled = true
    expect(errorsOf(raw)).toEqual([])
  })
})
