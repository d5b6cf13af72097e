/**
 * Translates a scenario's snake_case sections into the emulator's and the
 * checker's own option objects.
 */
import { parseDurationMs } from './duration'
import {
  DEFAULT_INTEGRATION_ID,
  DEFAULT_INTEGRATION_NAME,
  DEFAULT_INTERVAL,
  DEFAULT_RULE_NAME,
  DEFAULT_TENANT_CODE,
  DEFAULT_TENANT_NAME,
  clientsOf,
} from './defaults'
import type { DeviceSpec, FaultRule, FleetOptions, PolicySpec, TenantControl, TenantSpec } from '../mock-workspace-one/types'
import type { CheckerConfig, CheckerOptions, CloudflareDevice, PostureRule } from '../posture-checker/types'
import type { CheckerSection, DeviceEntry, FaultSpec, GenerateSection, ScenarioSpec } from './spec'

/** Converts a device entry; `now` anchors relative times such as `-7d`. */
export function toDeviceSpec(entry: Partial<DeviceEntry>, now: number): Partial<DeviceSpec> {
  const spec: Partial<DeviceSpec> = {}
  if (entry.serial !== undefined) spec.serialNumber = entry.serial
  if (entry.id !== undefined) spec.id = entry.id
  if (entry.uuid !== undefined) spec.uuid = entry.uuid
  if (entry.udid !== undefined) spec.udid = entry.udid
  if (entry.platform !== undefined) spec.platform = entry.platform
  if (entry.model !== undefined) spec.model = entry.model
  if (entry.operating_system !== undefined) spec.operatingSystem = entry.operating_system
  if (entry.ownership !== undefined) spec.ownership = entry.ownership
  if (entry.enrollment !== undefined) spec.enrollmentStatus = entry.enrollment
  if (entry.user_name !== undefined) spec.userName = entry.user_name
  if (entry.user_email !== undefined) spec.userEmail = entry.user_email
  if (entry.friendly_name !== undefined) spec.friendlyName = entry.friendly_name
  if (entry.organization_group !== undefined) spec.organizationGroup = entry.organization_group
  if (entry.last_seen !== undefined) spec.lastSeen = toTime(entry.last_seen, now)
  if (entry.enrolled_on !== undefined) spec.enrolledOn = toTime(entry.enrolled_on, now)
  if (entry.compromised !== undefined) spec.compromised = entry.compromised
  if (entry.evaluated !== undefined) spec.evaluated = entry.evaluated
  if (entry.policies !== undefined) spec.policies = toPolicies(entry.policies)
  return spec
}

export function toFullDeviceSpec(entry: DeviceEntry, now: number): DeviceSpec {
  return { ...toDeviceSpec(entry, now), serialNumber: entry.serial }
}

function toPolicies(policies: Record<string, 'pass' | 'fail' | 'pending'>): PolicySpec[] {
  return Object.entries(policies).map(([name, result]) => {
    if (result === 'pending') return { name, pending: true }
    return { name, compliant: result === 'pass' }
  })
}

/** ISO text passes through; `-7d` becomes the ISO time that long before `now`. */
function toTime(value: string | null, now: number): string | null {
  if (value === null || !value.startsWith('-')) return value
  const offset = parseDurationMs(value.slice(1)) ?? 0
  return new Date(now - offset).toISOString()
}

function toFleetOptions(generate: GenerateSection, seed: number): FleetOptions {
  const options: FleetOptions = { count: generate.count, seed: generate.seed ?? seed }
  if (generate.platforms !== undefined) options.platforms = generate.platforms
  if (generate.ownership !== undefined) options.ownership = generate.ownership
  if (generate.unenrolled_rate !== undefined) options.unenrolledRate = generate.unenrolled_rate
  if (generate.policies !== undefined) {
    options.policies = generate.policies.map((policy) => {
      const converted: { name: string; failureRate?: number; pendingRate?: number } = { name: policy.name }
      if (policy.failure_rate !== undefined) converted.failureRate = policy.failure_rate
      if (policy.pending_rate !== undefined) converted.pendingRate = policy.pending_rate
      return converted
    })
  }
  if (generate.last_seen_spread !== undefined) {
    const spread = parseDurationMs(generate.last_seen_spread)
    if (spread !== undefined) options.lastSeenSpreadMs = spread
  }
  if (generate.serial_prefix !== undefined) options.serialPrefix = generate.serial_prefix
  if (generate.first_id !== undefined) options.firstId = generate.first_id
  const quirks = generate.quirks
  if (quirks !== undefined) {
    options.quirks = {}
    if (quirks.duplicate_serials !== undefined) options.quirks.duplicateSerials = quirks.duplicate_serials
    if (quirks.whitespace_serials !== undefined) options.quirks.whitespaceSerials = quirks.whitespace_serials
    if (quirks.case_variant_serials !== undefined) options.quirks.caseVariantSerials = quirks.case_variant_serials
    if (quirks.placeholder_serials !== undefined) options.quirks.placeholderSerials = quirks.placeholder_serials
    if (quirks.never_evaluated !== undefined) options.quirks.neverEvaluated = quirks.never_evaluated
  }
  return options
}

/** Builds the emulator's tenant: settings, clients, explicit devices and the generated fleet. */
export function buildTenantSpec(spec: ScenarioSpec, startMs: number): TenantSpec {
  const tenant = spec.tenant ?? {}
  const result: TenantSpec = {
    name: tenant.name ?? DEFAULT_TENANT_NAME,
    tenantCode: tenant.tenant_code ?? DEFAULT_TENANT_CODE,
    clients: clientsOf(spec).map((client) => ({
      clientId: client.client_id,
      clientSecret: client.client_secret,
      enabled: client.enabled ?? true,
    })),
    devices: (spec.fleet?.devices ?? []).map((device) => toFullDeviceSpec(device, startMs)),
  }
  if (tenant.token_lifetime !== undefined) {
    result.tokenLifetimeSeconds = Math.round((parseDurationMs(tenant.token_lifetime) ?? 0) / 1000)
  }
  if (tenant.require_tenant_code !== undefined) result.requireTenantCodeWithOAuth = tenant.require_tenant_code
  // The emulator reads 0 as "no limit", and scenarios leave limits out unless they test them.
  result.throttlePerMinute = tenant.rate_limit?.per_minute ?? 0
  result.dailyQuota = tenant.rate_limit?.daily ?? 0
  if (tenant.duplicate_serial_lookup !== undefined) result.duplicateSerialLookup = tenant.duplicate_serial_lookup
  if (tenant.serial_lookup_match !== undefined) result.serialLookupMatch = tenant.serial_lookup_match
  if (tenant.unenrolled_compliance !== undefined) result.unenrolledCompliance = tenant.unenrolled_compliance
  const generate = spec.fleet?.generate
  if (generate !== undefined && generate.count > 0) result.fleet = toFleetOptions(generate, spec.seed ?? 1)
  return result
}

/** Converts a scenario fault; virtual offsets in after/before become epoch times. */
export function toFaultRule(fault: FaultSpec, startMs: number): FaultRule {
  const rule: FaultRule = { effect: toEffect(fault, startMs) }
  if (fault.id !== undefined) rule.id = fault.id
  if (fault.times !== undefined) rule.times = fault.times
  const match = fault.match
  if (match !== undefined) {
    const converted: NonNullable<FaultRule['match']> = {}
    if (match.path !== undefined) converted.path = match.path
    if (match.method !== undefined) converted.method = match.method
    if (match.query !== undefined) converted.query = match.query
    if (match.client_id !== undefined) converted.clientId = match.client_id
    if (match.nth !== undefined) converted.nth = match.nth
    if (match.from_nth !== undefined) converted.fromNth = match.from_nth
    if (match.after !== undefined) converted.after = toInstant(match.after, startMs)
    if (match.before !== undefined) converted.before = toInstant(match.before, startMs)
    if (match.probability !== undefined) converted.probability = match.probability
    rule.match = converted
  }
  return rule
}

function toInstant(value: string, startMs: number): string | number {
  const offset = parseDurationMs(value)
  return offset === undefined ? value : startMs + offset
}

function toEffect(fault: FaultSpec, startMs: number): FaultRule['effect'] {
  const effect = fault.effect
  switch (effect.type) {
    case 'rate-limit':
      return effect.retry_after === undefined ? { type: 'rate-limit' } : { type: 'rate-limit', retryAfter: effect.retry_after }
    case 'mutate-fleet': {
      const converted: { type: 'mutate-fleet'; devices?: DeviceSpec[]; removeSerials?: string[] } = { type: 'mutate-fleet' }
      if (effect.devices !== undefined) converted.devices = effect.devices.map((device) => toFullDeviceSpec(device, startMs))
      if (effect.remove_serials !== undefined) converted.removeSerials = effect.remove_serials
      return converted
    }
    default:
      return effect
  }
}

export interface IntegrationEndpoints {
  apiUrl: string
  tokenUrl: string
}

/** Builds the checker's configuration in Cloudflare's shapes, with the emulator's URLs filled in. */
export function buildCheckerConfig(spec: ScenarioSpec, endpoints: IntegrationEndpoints, devices: CloudflareDevice[]): CheckerConfig {
  const integration = spec.cloudflare?.integration ?? {}
  const client = clientsOf(spec)[0]
  const id = integration.id ?? DEFAULT_INTEGRATION_ID
  const config: CheckerConfig['integration']['config'] = {
    api_url: integration.config?.api_url ?? endpoints.apiUrl,
    auth_url: integration.config?.auth_url ?? endpoints.tokenUrl,
    client_id: integration.config?.client_id ?? client?.client_id ?? '',
  }
  const secret = integration.config?.client_secret ?? client?.client_secret
  if (secret !== undefined) config.client_secret = secret
  const rulesSpec = spec.cloudflare?.rules ?? [{ name: DEFAULT_RULE_NAME, input: { compliance_status: 'compliant' as const } }]
  const rules = rulesSpec.map((rule, index) => {
    const converted: PostureRule = {
      id: rule.id ?? `rule-${index + 1}`,
      name: rule.name,
      type: 'workspace_one',
      input: { compliance_status: rule.input.compliance_status, connection_id: rule.input.connection_id ?? id },
    }
    if (rule.description !== undefined) converted.description = rule.description
    if (rule.match !== undefined) converted.match = rule.match
    if (rule.expiration !== undefined) converted.expiration = rule.expiration
    return converted
  })
  return {
    integration: {
      id,
      name: integration.name ?? DEFAULT_INTEGRATION_NAME,
      type: 'workspace_one',
      interval: integration.interval ?? DEFAULT_INTERVAL,
      config,
    },
    rules,
    devices,
  }
}

/** Checker options from the scenario's `cloudflare.checker` section. */
export function buildCheckerOptions(section: CheckerSection | undefined, tenantCode: string): CheckerOptions {
  const options: CheckerOptions = {}
  if (section === undefined) return options
  const ms = (value: string | undefined): number | undefined => (value === undefined ? undefined : parseDurationMs(value))
  if (section.duplicate_serials !== undefined) options.duplicateSerials = section.duplicate_serials
  if (section.compliance_source !== undefined) options.complianceSource = section.compliance_source
  if (section.strict_unevaluated !== undefined) options.strictUnevaluated = section.strict_unevaluated
  const maxAge = ms(section.max_last_seen_age)
  if (maxAge !== undefined) options.maxLastSeenAgeMs = maxAge
  if (section.search_api_version !== undefined) options.searchApiVersion = section.search_api_version
  if (section.page_size !== undefined) options.pageSize = section.page_size
  if (section.max_attempts !== undefined) options.maxAttempts = section.max_attempts
  const baseBackoff = ms(section.base_backoff)
  if (baseBackoff !== undefined) options.baseBackoffMs = baseBackoff
  const maxBackoff = ms(section.max_backoff)
  if (maxBackoff !== undefined) options.maxBackoffMs = maxBackoff
  const maxRetryAfter = ms(section.max_retry_after)
  if (maxRetryAfter !== undefined) options.maxRetryAfterMs = maxRetryAfter
  const timeout = ms(section.request_timeout)
  if (timeout !== undefined) options.requestTimeoutMs = timeout
  const skew = ms(section.token_refresh_skew)
  if (skew !== undefined) options.tokenRefreshSkewSeconds = Math.round(skew / 1000)
  if (section.serial_lookup_threshold !== undefined) options.serialLookupThreshold = section.serial_lookup_threshold
  if (section.compliance_concurrency !== undefined) options.complianceConcurrency = section.compliance_concurrency
  if (section.tenant_code === true) options.tenantCode = tenantCode
  else if (typeof section.tenant_code === 'string') options.tenantCode = section.tenant_code
  return options
}

/** Checker options of a scenario: its `cloudflare.checker` section, the tenant code it may send, and its seed. */
export function buildScenarioCheckerOptions(spec: ScenarioSpec): CheckerOptions {
  const tenantCode = spec.tenant?.tenant_code ?? DEFAULT_TENANT_CODE
  return { ...buildCheckerOptions(spec.cloudflare?.checker, tenantCode), seed: spec.seed ?? 1 }
}

/** Cloudflare platform of a Workspace ONE platform name. */
export function cloudflarePlatformOf(ws1Platform: string | undefined): CloudflareDevice['platform'] {
  switch (ws1Platform) {
    case 'AppleOsX':
      return 'mac'
    case 'Apple':
      return 'ios'
    case 'Android':
      return 'android'
    case 'Linux':
      return 'linux'
    case 'ChromeBook':
      return 'chromeos'
    default:
      return 'windows'
  }
}

/** Converts a scenario's Cloudflare device entry to the checker's shape. */
export function toCloudflareDevice(spec: { device_id: string; serial_number: string | null; platform: CloudflareDevice['platform']; email?: string; name?: string }): CloudflareDevice {
  const device: CloudflareDevice = { device_id: spec.device_id, serial_number: spec.serial_number, platform: spec.platform }
  if (spec.email !== undefined) device.email = spec.email
  if (spec.name !== undefined) device.name = spec.name
  return device
}

/**
 * Builds the Cloudflare (WARP) device list: the explicit devices, then with
 * `mirror_fleet` one device per distinct trimmed serial of the tenant, in id
 * order, with `except` and `overrides` applied.
 */
export function buildCloudflareDevices(spec: ScenarioSpec, tenant: Pick<TenantControl, 'listDevices'>): CloudflareDevice[] {
  const devices = (spec.cloudflare?.devices ?? []).map(toCloudflareDevice)
  const mirror = spec.cloudflare?.mirror_fleet
  if (mirror === undefined || mirror === false) return devices
  const except = new Set(typeof mirror === 'object' ? mirror.except ?? [] : [])
  const overrides = typeof mirror === 'object' ? mirror.overrides ?? [] : []
  const seen = new Set<string>()
  let counter = 0
  for (const record of tenant.listDevices()) {
    const key = record.serialNumber.trim().toLowerCase()
    if (key === '' || seen.has(key) || except.has(record.serialNumber) || except.has(record.serialNumber.trim())) continue
    seen.add(key)
    counter++
    const device: CloudflareDevice = {
      device_id: `cf-${String(counter).padStart(5, '0')}`,
      serial_number: record.serialNumber.trim(),
      platform: cloudflarePlatformOf(record.platform),
    }
    const override = overrides.find((candidate) => candidate.serial === record.serialNumber || candidate.serial === record.serialNumber.trim())
    if (override?.device_id !== undefined) device.device_id = override.device_id
    if (override?.serial_number !== undefined) device.serial_number = override.serial_number
    if (override?.platform !== undefined) device.platform = override.platform
    devices.push(device)
  }
  return devices
}
