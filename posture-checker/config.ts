/**
 * Validation of a `ws1sim check --config` file: one posture integration,
 * posture rules and Cloudflare devices, all in Cloudflare's API shapes.
 */
import { ConfigError } from './errors'
import { MAX_EXPIRATION_MS, MAX_INTERVAL_MS, MIN_INTERVAL_MS, parseDuration } from './duration'
import type {
  CheckerConfig,
  CloudflareDevice,
  CloudflarePlatform,
  ComplianceStatus,
  PostureIntegration,
  PostureRule,
} from './types'

/** Environment variable that supplies the client secret when the file leaves it out. */
export const CLIENT_SECRET_ENV = 'WS1_CLIENT_SECRET'

export const SUPPORTED_INTEGRATION_TYPE = 'workspace_one'

export const PLATFORMS: readonly CloudflarePlatform[] = ['windows', 'mac', 'linux', 'android', 'ios', 'chromeos']

export const COMPLIANCE_STATUSES: readonly ComplianceStatus[] = ['compliant', 'noncompliant', 'unknown']

const TOP_LEVEL_KEYS = ['integration', 'rules', 'devices']

const ENV_REFERENCE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/

export interface ConfigIssue {
  key: string
  message: string
}

export type ValidationResult = { ok: true; config: CheckerConfig } | { ok: false; errors: ConfigIssue[] }

type Env = Record<string, string | undefined>

type Report = (key: string, message: string) => void

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'an object'
  return JSON.stringify(value)
}

function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
}

/**
 * Validates Cloudflare's integration object and resolves its client secret.
 * A secret that is absent, empty or written as `${NAME}` is read from the
 * environment: `${NAME}` reads NAME, otherwise WS1_CLIENT_SECRET.
 */
export function validateIntegration(raw: unknown, env: Env, report: Report): PostureIntegration | undefined {
  const key = 'integration'
  if (!isObject(raw)) {
    report(key, `must be an object with name, type, interval and config; got ${describe(raw)}`)
    return undefined
  }
  const before = { count: 0 }
  const counted: Report = (path, message) => {
    before.count++
    report(path, message)
  }
  const name = requireString(raw['name'], `${key}.name`, counted)
  if (raw['type'] !== SUPPORTED_INTEGRATION_TYPE) {
    counted(`${key}.type`, `unsupported type ${describe(raw['type'])}; the supported type is "${SUPPORTED_INTEGRATION_TYPE}"`)
  }
  const interval = requireDuration(raw['interval'], `${key}.interval`, counted, true, { min: MIN_INTERVAL_MS, max: MAX_INTERVAL_MS })
  const id = optionalString(raw['id'], `${key}.id`, counted)
  const config = raw['config']
  if (!isObject(config)) {
    counted(`${key}.config`, `must be an object with api_url, auth_url, client_id and client_secret; got ${describe(config)}`)
    return undefined
  }
  const apiUrl = requireUrl(config['api_url'], `${key}.config.api_url`, counted)
  const authUrl = requireUrl(config['auth_url'], `${key}.config.auth_url`, counted)
  const clientId = requireString(config['client_id'], `${key}.config.client_id`, counted)
  const clientSecret = resolveSecret(config['client_secret'], env, counted)
  if (before.count > 0 || name === undefined || interval === undefined || apiUrl === undefined) return undefined
  if (authUrl === undefined || clientId === undefined || clientSecret === undefined) return undefined
  const integration: PostureIntegration = {
    name,
    type: 'workspace_one',
    interval: String(raw['interval']),
    config: { api_url: apiUrl, auth_url: authUrl, client_id: clientId, client_secret: clientSecret },
  }
  if (id !== undefined) integration.id = id
  return integration
}

function resolveSecret(value: unknown, env: Env, report: Report): string | undefined {
  const key = 'integration.config.client_secret'
  if (value !== undefined && value !== null && typeof value !== 'string') {
    report(key, `must be a string or left out to read ${CLIENT_SECRET_ENV}; got ${describe(value)}`)
    return undefined
  }
  const text = typeof value === 'string' ? value.trim() : ''
  const reference = ENV_REFERENCE.exec(text)
  if (reference === null && /^\$\{.*\}$/.test(text)) {
    report(
      key,
      `invalid environment variable reference ${JSON.stringify(text)}; write \${NAME} with a name of letters, digits and underscores that does not start with a digit`,
    )
    return undefined
  }
  if (text !== '' && reference === null) return value as string
  const variable = reference?.[1] ?? CLIENT_SECRET_ENV
  const fromEnv = env[variable]
  if (fromEnv === undefined || fromEnv === '') {
    report(key, `missing: write the secret in the file or set the ${variable} environment variable`)
    return undefined
  }
  return fromEnv
}

function requireString(value: unknown, key: string, report: Report): string | undefined {
  if (value === undefined) {
    report(key, 'missing: expected a non-empty string')
    return undefined
  }
  if (typeof value !== 'string' || value.trim() === '') {
    report(key, `must be a non-empty string; got ${describe(value)}`)
    return undefined
  }
  return value
}

function optionalString(value: unknown, key: string, report: Report): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string') {
    report(key, `must be a string; got ${describe(value)}`)
    return undefined
  }
  return value
}

/** Inclusive range of a duration option, in milliseconds. */
interface DurationRange {
  min: number
  max: number
}

function requireDuration(
  value: unknown,
  key: string,
  report: Report,
  required: boolean,
  range: DurationRange,
): number | undefined {
  if (value === undefined) {
    if (required) report(key, 'missing: expected a duration such as "10m" or "1h"')
    return undefined
  }
  if (typeof value !== 'string') {
    report(key, `must be a duration string such as "10m" or "1h"; got ${describe(value)}`)
    return undefined
  }
  try {
    const ms = parseDuration(value, key)
    if (ms <= 0) {
      report(key, `must be longer than zero; got ${JSON.stringify(value)}`)
      return undefined
    }
    if (ms < range.min || ms > range.max) {
      report(
        key,
        `must be from ${formatDuration(range.min)} to ${formatDuration(range.max)}; got ${JSON.stringify(value)}`,
      )
      return undefined
    }
    return ms
  } catch (error) {
    if (error instanceof ConfigError && error.message.includes('too long')) {
      report(key, `must be from ${formatDuration(range.min)} to ${formatDuration(range.max)}; got ${JSON.stringify(value)}`)
      return undefined
    }
    if (error instanceof ConfigError) {
      report(key, `invalid duration ${JSON.stringify(value)}; expected a number with a unit such as "10m", "1h" or "2h30m"`)
      return undefined
    }
    throw error
  }
}

function requireUrl(value: unknown, key: string, report: Report): string | undefined {
  const text = requireString(value, key, report)
  if (text === undefined) return undefined
  let url: URL
  try {
    url = new URL(text)
  } catch {
    report(key, `invalid URL ${JSON.stringify(text)}; expected an absolute https:// URL`)
    return undefined
  }
  if (url.protocol === 'https:') return text
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return text
  if (url.protocol === 'http:') {
    report(key, `must use https; plain http is allowed only for loopback hosts (127.0.0.0/8, localhost, [::1]), got ${JSON.stringify(text)}`)
  } else {
    report(key, `must be an https:// URL; got ${JSON.stringify(text)}`)
  }
  return undefined
}

function validateRule(raw: unknown, index: number, integration: unknown, report: Report): PostureRule | undefined {
  const key = `rules[${index}]`
  if (!isObject(raw)) {
    report(key, `must be an object with name, type and input; got ${describe(raw)}`)
    return undefined
  }
  const issues = { count: 0 }
  const counted: Report = (path, message) => {
    issues.count++
    report(path, message)
  }
  const name = requireString(raw['name'], `${key}.name`, counted)
  const id = optionalString(raw['id'], `${key}.id`, counted)
  const description = optionalString(raw['description'], `${key}.description`, counted)
  if (raw['type'] !== SUPPORTED_INTEGRATION_TYPE) {
    counted(`${key}.type`, `unsupported type ${describe(raw['type'])}; the supported type is "${SUPPORTED_INTEGRATION_TYPE}"`)
  }
  const input = raw['input']
  let status: ComplianceStatus | undefined
  let connectionId: string | undefined
  if (!isObject(input)) {
    counted(`${key}.input`, `must be an object with compliance_status and connection_id; got ${describe(input)}`)
  } else {
    status = validateStatus(input['compliance_status'], `${key}.input.compliance_status`, counted)
    connectionId = validateConnection(input['connection_id'], `${key}.input.connection_id`, integration, counted)
  }
  const match = validateMatch(raw['match'], `${key}.match`, counted)
  const expiration = raw['expiration']
  requireDuration(expiration, `${key}.expiration`, counted, false, { min: 1, max: MAX_EXPIRATION_MS })
  if (issues.count > 0 || name === undefined || status === undefined || connectionId === undefined) return undefined
  const rule: PostureRule = { name, type: 'workspace_one', input: { compliance_status: status, connection_id: connectionId } }
  if (id !== undefined) rule.id = id
  if (description !== undefined) rule.description = description
  if (match !== undefined) rule.match = match
  if (typeof expiration === 'string') rule.expiration = expiration
  return rule
}

function validateStatus(value: unknown, key: string, report: Report): ComplianceStatus | undefined {
  if (typeof value === 'string' && (COMPLIANCE_STATUSES as readonly string[]).includes(value)) {
    return value as ComplianceStatus
  }
  report(key, `${value === undefined ? 'missing' : `invalid value ${describe(value)}`}; expected one of ${COMPLIANCE_STATUSES.join(', ')}`)
  return undefined
}

function validateConnection(value: unknown, key: string, integration: unknown, report: Report): string | undefined {
  const text = requireString(value, key, report)
  if (text === undefined) return undefined
  // Without a readable integration there is nothing to compare with; that error is reported already.
  if (!isObject(integration)) return text
  const names: string[] = []
  for (const field of ['id', 'name']) {
    const candidate = integration[field]
    if (typeof candidate === 'string' && candidate !== '') names.push(candidate)
  }
  if (names.includes(text)) return text
  const expected = names.length > 0 ? names.map((name) => JSON.stringify(name)).join(' or ') : 'the integration id or name'
  report(key, `${JSON.stringify(text)} does not name the integration; expected ${expected}`)
  return undefined
}

function validateMatch(value: unknown, key: string, report: Report): Array<{ platform: CloudflarePlatform }> | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value)) {
    report(key, `must be a list of {platform: ...} entries; got ${describe(value)}`)
    return undefined
  }
  const entries: Array<{ platform: CloudflarePlatform }> = []
  value.forEach((entry: unknown, index) => {
    const platform = isObject(entry) ? entry['platform'] : undefined
    if (typeof platform === 'string' && (PLATFORMS as readonly string[]).includes(platform)) {
      entries.push({ platform: platform as CloudflarePlatform })
    } else {
      report(`${key}[${index}].platform`, `invalid platform ${describe(platform)}; expected one of ${PLATFORMS.join(', ')}`)
    }
  })
  return entries
}

function validateDevice(raw: unknown, index: number, seen: Set<string>, report: Report): CloudflareDevice | undefined {
  const key = `devices[${index}]`
  if (!isObject(raw)) {
    report(key, `must be an object with device_id, serial_number and platform; got ${describe(raw)}`)
    return undefined
  }
  const issues = { count: 0 }
  const counted: Report = (path, message) => {
    issues.count++
    report(path, message)
  }
  const deviceId = requireString(raw['device_id'], `${key}.device_id`, counted)
  if (deviceId !== undefined) {
    if (seen.has(deviceId)) counted(`${key}.device_id`, `duplicate device_id ${JSON.stringify(deviceId)}; each device needs its own id`)
    seen.add(deviceId)
  }
  const serial = raw['serial_number']
  if (serial === undefined) {
    counted(`${key}.serial_number`, 'missing: expected a string, or null when WARP could not read one')
  } else if (serial !== null && typeof serial !== 'string') {
    counted(`${key}.serial_number`, `must be a string or null; got ${describe(serial)}`)
  }
  const platform = raw['platform']
  if (typeof platform !== 'string' || !(PLATFORMS as readonly string[]).includes(platform)) {
    counted(`${key}.platform`, `${platform === undefined ? 'missing' : `invalid platform ${describe(platform)}`}; expected one of ${PLATFORMS.join(', ')}`)
  }
  const optional: Partial<CloudflareDevice> = {}
  for (const field of ['email', 'name', 'manufacturer', 'model', 'os_version', 'user_uid'] as const) {
    const value = optionalString(raw[field], `${key}.${field}`, counted)
    if (value !== undefined) optional[field] = value
  }
  if (issues.count > 0 || deviceId === undefined) return undefined
  return {
    device_id: deviceId,
    serial_number: (serial as string | null) ?? null,
    platform: platform as CloudflarePlatform,
    ...optional,
  }
}

/**
 * Validates an integration that replaces the one of a running checker: the
 * checks of a config file's `integration`, plus that every rule's
 * `input.connection_id` still names it by id or name.
 */
export function validateIntegrationUpdate(
  raw: unknown,
  rules: readonly PostureRule[],
  options: { env?: Env } = {},
): { ok: true; integration: PostureIntegration } | { ok: false; errors: ConfigIssue[] } {
  const errors: ConfigIssue[] = []
  const report: Report = (key, message) => errors.push({ key, message })
  const integration = validateIntegration(raw, options.env ?? process.env, report)
  rules.forEach((rule, index) => {
    validateConnection(rule.input.connection_id, `rules[${index}].input.connection_id`, raw, report)
  })
  if (errors.length > 0 || integration === undefined) return { ok: false, errors }
  return { ok: true, integration }
}

/**
 * Validates a checker configuration. Errors name the key path, such as
 * `rules[1].input.compliance_status`, and the expected form. The client
 * secret may come from the WS1_CLIENT_SECRET environment variable.
 */
export function validateCheckerConfig(raw: unknown, options: { env?: Env } = {}): ValidationResult {
  const env = options.env ?? process.env
  const errors: ConfigIssue[] = []
  const report: Report = (key, message) => errors.push({ key, message })
  if (!isObject(raw)) {
    report('', `configuration must be an object with the keys ${TOP_LEVEL_KEYS.join(', ')}; got ${describe(raw)}`)
    return { ok: false, errors }
  }
  for (const key of Object.keys(raw)) {
    if (!TOP_LEVEL_KEYS.includes(key)) report(key, `unknown key; expected only ${TOP_LEVEL_KEYS.join(', ')}`)
  }
  const integration = validateIntegration(raw['integration'], env, report)

  const rules: PostureRule[] = []
  const rawRules = raw['rules']
  if (!Array.isArray(rawRules) || rawRules.length === 0) {
    report('rules', `must be a non-empty list of posture rules; got ${describe(rawRules)}`)
  } else {
    rawRules.forEach((rule: unknown, index) => {
      const valid = validateRule(rule, index, raw['integration'], report)
      if (valid !== undefined) rules.push(valid)
    })
  }

  const devices: CloudflareDevice[] = []
  const rawDevices = raw['devices']
  if (!Array.isArray(rawDevices)) {
    report('devices', `must be a list of Cloudflare devices; got ${describe(rawDevices)}`)
  } else {
    const seen = new Set<string>()
    rawDevices.forEach((device: unknown, index) => {
      const valid = validateDevice(device, index, seen, report)
      if (valid !== undefined) devices.push(valid)
    })
  }

  if (errors.length > 0 || integration === undefined) return { ok: false, errors }
  return { ok: true, config: { integration, rules, devices } }
}

/** Formats a limit such as 604800000 as `7d`, for range messages. */
function formatDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1_000]] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`
  }
  return `${ms}ms`
}
