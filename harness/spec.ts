/**
 * Types of a scenario as written in YAML. Keys are snake_case throughout,
 * like Cloudflare's API objects, so a scenario reads as one vocabulary.
 * scenarios/README.md documents every key with an example.
 */
import type { EnrollmentStatus, FaultRule, Ownership, Ws1Platform } from '../mock-workspace-one/types'
import type { CloudflarePlatform, ComplianceStatus, ResultReason } from '../posture-checker/types'

export type PolicyResult = 'pass' | 'fail' | 'pending'

export interface ScenarioSpec {
  name: string
  description?: string
  /** Seed of the fleet generator, fault probabilities and retry jitter. Default 1. */
  seed?: number
  /** Wall-clock time of virtual time zero, ISO 8601 UTC. Default 2024-01-01T00:00:00Z. */
  start?: string
  /** Virtual run length; polls run every integration interval from t=0 up to and including it. */
  duration?: string
  tenant?: TenantSection
  fleet?: FleetSection
  /** Fault rules active from t=0. */
  faults?: FaultSpec[]
  cloudflare?: CloudflareSection
  timeline?: TimelineStep[]
  expect?: ExpectSection
}

export interface TenantSection {
  name?: string
  tenant_code?: string
  clients?: Array<{ client_id: string; client_secret: string; enabled?: boolean }>
  token_lifetime?: string
  rate_limit?: { per_minute?: number; daily?: number }
  require_tenant_code?: boolean
  duplicate_serial_lookup?: 'oldest-id' | 'newest-id' | 'enrolled-first'
  serial_lookup_match?: 'collation' | 'exact'
  unenrolled_compliance?: 'keep' | 'NotAvailable' | 'NonCompliant'
}

export interface GenerateSection {
  count: number
  seed?: number
  platforms?: Partial<Record<'windows' | 'macos' | 'linux' | 'ios' | 'android', number>>
  ownership?: Partial<Record<Ownership, number>>
  unenrolled_rate?: number
  policies?: Array<{ name: string; failure_rate?: number; pending_rate?: number }>
  last_seen_spread?: string
  serial_prefix?: string
  first_id?: number
  quirks?: {
    duplicate_serials?: number
    whitespace_serials?: number
    case_variant_serials?: number
    placeholder_serials?: number
    never_evaluated?: number
  }
}

export interface DeviceEntry {
  serial: string
  id?: number
  uuid?: string
  udid?: string
  platform?: Ws1Platform
  model?: string
  operating_system?: string
  ownership?: Ownership
  enrollment?: EnrollmentStatus
  user_name?: string
  user_email?: string
  friendly_name?: string
  organization_group?: string
  /** ISO 8601 (zone-less is UTC), a negative offset from now such as `-7d`, or null for never. */
  last_seen?: string | null
  enrolled_on?: string | null
  compromised?: boolean | null
  evaluated?: boolean
  policies?: Record<string, PolicyResult>
}

export interface FleetSection {
  generate?: GenerateSection
  devices?: DeviceEntry[]
  /** JSON body of a v1/v2 devices/search export, relative to the scenario file. */
  import?: string | string[]
}

/**
 * A fault effect: the emulator's own effects, except that the two with
 * multi-word fields spell them in snake_case and describe devices as
 * scenario device entries.
 */
export type FaultEffectSpec =
  | Exclude<FaultRule['effect'], { type: 'rate-limit' | 'mutate-fleet' }>
  | { type: 'rate-limit'; retry_after?: number | string }
  | { type: 'mutate-fleet'; devices?: DeviceEntry[]; remove_serials?: string[] }

export interface FaultSpec {
  id?: string
  match?: {
    path?: string
    method?: string
    query?: Record<string, string>
    client_id?: string
    nth?: number
    from_nth?: number
    /** Virtual offset such as `10m`, or an ISO 8601 time. */
    after?: string
    before?: string
    probability?: number
  }
  effect: FaultEffectSpec
  times?: number
}

export interface CloudflareDeviceSpec {
  device_id: string
  serial_number: string | null
  platform: CloudflarePlatform
  email?: string
  name?: string
}

export interface CloudflareSection {
  integration?: {
    id?: string
    name?: string
    type?: 'workspace_one'
    interval?: string
    config?: { api_url?: string; auth_url?: string; client_id?: string; client_secret?: string }
  }
  rules?: Array<{
    id?: string
    name: string
    description?: string
    type?: 'workspace_one'
    input: { compliance_status: ComplianceStatus; connection_id?: string }
    match?: Array<{ platform: CloudflarePlatform }>
    expiration?: string
  }>
  devices?: CloudflareDeviceSpec[]
  mirror_fleet?: boolean | MirrorFleetSpec
  checker?: CheckerSection
}

export interface MirrorFleetSpec {
  /** Serials (as stored in Workspace ONE) that get no Cloudflare device. */
  except?: string[]
  /** Replace fields of the mirrored device of one serial. */
  overrides?: Array<{ serial: string; device_id?: string; serial_number?: string | null; platform?: CloudflarePlatform }>
}

export interface CheckerSection {
  duplicate_serials?: 'unknown' | 'prefer-enrolled'
  compliance_source?: 'search' | 'per-device'
  strict_unevaluated?: boolean
  max_last_seen_age?: string
  search_api_version?: 1 | 2
  page_size?: number
  max_attempts?: number
  base_backoff?: string
  max_backoff?: string
  max_retry_after?: string
  request_timeout?: string
  token_refresh_skew?: string
  serial_lookup_threshold?: number
  compliance_concurrency?: number
  /** Send aw-tenant-code: true sends the tenant's own code, a string sends that value. */
  tenant_code?: boolean | string
}

export interface DeviceSelectorSpec {
  serial?: string
  id?: number
  uuid?: string
}

export interface TimelineStep {
  at: string
  set_policy?: DeviceSelectorSpec & { policy: string; result: PolicyResult }
  update_device?: DeviceSelectorSpec & { set: Partial<DeviceEntry> }
  unenroll?: DeviceSelectorSpec
  reenroll?: DeviceSelectorSpec & { set?: Partial<DeviceEntry> }
  add_device?: DeviceEntry
  remove_device?: DeviceSelectorSpec
  rotate_secret?: { client_id?: string; new_secret?: string; update_integration?: boolean }
  disable_client?: { client_id?: string }
  enable_client?: { client_id?: string }
  revoke_tokens?: { client_id?: string }
  set_tenant_code?: string
  add_fault?: FaultSpec
  remove_fault?: string
  clear_faults?: boolean
  cloudflare_devices?: {
    add?: CloudflareDeviceSpec[]
    remove?: string[]
    update?: Array<{ device_id: string; serial_number?: string | null; platform?: CloudflarePlatform }>
  }
}

/** When an expectation is checked: after poll N (1-based), at a virtual time, or after the last poll. */
export interface WhenSpec {
  after_poll?: number
  at?: string
}

export interface DeviceExpectation extends WhenSpec {
  /** Cloudflare device id or serial number. */
  device: string
  rule?: string
  status?: ComplianceStatus
  result?: 'pass' | 'fail'
  reason?: ResultReason
  fresh?: boolean
  evaluated?: boolean
  matched_ws1_id?: number | null
}

export interface CountExpectation extends WhenSpec {
  rule?: string
  total?: number
  compliant?: number
  noncompliant?: number
  unknown?: number
  pass?: number
  fail?: number
  fresh?: number
  stale?: number
}

export interface PollExpectation {
  /** 1-based poll number, `last`, or `all` (the default). */
  poll?: number | 'last' | 'all'
  complete?: boolean
  /** `none` asserts no error; otherwise each given field must match. */
  error?: 'none' | { kind?: 'config' | 'auth' | 'provider' | 'schema' | 'quota'; code?: string }
  pages?: number
  ws1_records?: number
}

export interface RequestExpectation {
  method?: string
  /** Substring of the path, case-insensitive. */
  path?: string
  status?: number
  query?: Record<string, string>
  token_rejected?: boolean
  poll?: number
  count?: number
  min?: number
  max?: number
}

export interface LatencyExpectation {
  device: string
  rule?: string
  /** Virtual time of the change, normally a timeline step's `at`. */
  change_at: string
  /** Status the device moves to. */
  to: ComplianceStatus
  /** Time Access enforces the change; computed from the interval when left out, and always checked. */
  access_at?: string
  /** Time Gateway enforces the change; computed from the Access time when left out, and always checked. */
  gateway_at?: string
}

export interface ContractsSpec {
  honoured_retry_after?: boolean
  paged_to_end?: boolean
  refreshed_token_before_expiry?: boolean
  within_rate_limit?: boolean
}

export interface ExpectSection {
  polls_run?: number
  devices?: DeviceExpectation[]
  counts?: CountExpectation[]
  polls?: PollExpectation[]
  journal?: { max_requests_per_poll?: number; requests?: RequestExpectation[] }
  contracts?: ContractsSpec
  latency?: LatencyExpectation[]
}
