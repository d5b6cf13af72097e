/**
 * Public types of the Workspace ONE UEM emulator. The harness, the command
 * line and tests program against these; everything else in this folder is
 * internal. Times are epoch milliseconds on the emulator's clock unless a
 * name says otherwise.
 */
import type { Logger } from 'pino'

/** Source of "now" for the emulator. A virtual clock lets scenarios run a day in a second. */
export interface Clock {
  now(): number
  /**
   * Resolves once the clock has moved `ms` forward. The emulator uses it only
   * for injected delay faults.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
  /** Present on clocks the control API may move (virtual or offset clocks). */
  set?(epochMs: number): void
  advance?(ms: number): void
}

/** Workspace ONE platform names as the API spells them (`Platform`, `PlatformId.Name`). */
export type Ws1Platform =
  | 'WinRT'
  | 'WindowsPc'
  | 'AppleOsX'
  | 'Apple'
  | 'Android'
  | 'Linux'
  | 'ChromeBook'

/** v1 ownership codes: corporate dedicated, employee owned, shared, undefined. */
export type Ownership = 'C' | 'E' | 'S' | 'Undefined'

export type EnrollmentStatus =
  | 'Enrolled'
  | 'Unenrolled'
  | 'EnrollmentInProgress'
  | 'EnterpriseWipePending'
  | 'DeviceWipePending'
  | 'Retired'

/** One compliance policy's latest evaluation on one device. */
export interface PolicySpec {
  name: string
  /** Defaults to true. */
  compliant?: boolean
  /** Evaluation queued but not finished. A pending policy never counts as passing. */
  pending?: boolean
  /** ISO 8601 (zone-less values are UTC) or null for never. Defaults to the device's last seen. */
  lastCheck?: string | null
  nextCheck?: string | null
  /** `ActionTaken[].ActionType` values; defaults to [1] when failing, [] otherwise. */
  actions?: number[]
}

/**
 * A device as a scenario, an import or the control API describes it. Every
 * field but `serialNumber` has a generated default, so a spec can be tiny.
 */
export interface DeviceSpec {
  id?: number
  uuid?: string
  udid?: string
  /** Stored exactly as given: no trimming, no case change. May be "". */
  serialNumber: string
  macAddress?: string
  imei?: string
  platform?: Ws1Platform
  model?: string
  oemInfo?: string
  operatingSystem?: string
  ownership?: Ownership
  enrollmentStatus?: EnrollmentStatus
  userName?: string
  userEmail?: string
  /** Display name of the user (`UserId.Name`); may contain a double space. */
  userFullName?: string
  friendlyName?: string
  /** Organization group name; defaults to the tenant's root group. */
  organizationGroup?: string
  lastSeen?: string | null
  enrolledOn?: string | null
  /** `CompromisedStatus`; null leaves the key out, as some real records do. */
  compromised?: boolean | null
  /**
   * Compliance policies. An empty list or `evaluated: false` renders a device
   * that was never evaluated: Compliant, sentinel date, no ComplianceSummary.
   */
  policies?: PolicySpec[]
  evaluated?: boolean
}

/** Options of the seeded fleet generator. */
export interface FleetOptions {
  count: number
  seed?: number
  /** Relative weights per platform; missing platforms get 0 when any weight is given. */
  platforms?: Partial<Record<'windows' | 'macos' | 'linux' | 'ios' | 'android', number>>
  /** Relative weights per ownership code. */
  ownership?: Partial<Record<Ownership, number>>
  /** Share of devices that are not enrolled, 0..1. */
  unenrolledRate?: number
  /** Policy names with the probability, 0..1, that each fails on a device. */
  policies?: Array<{ name: string; failureRate?: number; pendingRate?: number }>
  /** Last seen is spread uniformly over this many milliseconds before now. */
  lastSeenSpreadMs?: number
  /** Serial prefix for predictable serials (`FAKE` gives FAKE00001...), else realistic formats. */
  serialPrefix?: string
  /** First device id; ids then increase by one. */
  firstId?: number
  quirks?: {
    duplicateSerials?: number
    whitespaceSerials?: number
    caseVariantSerials?: number
    placeholderSerials?: number
    neverEvaluated?: number
  }
}

export interface OAuthClientSpec {
  clientId: string
  clientSecret: string
  enabled?: boolean
}

/** One tenant: a top-level organization group with its own API key, clients and devices. */
export interface TenantSpec {
  /** Organization group name, for example "Acme". */
  name: string
  /** The REST API key sent as `aw-tenant-code`. */
  tenantCode: string
  groupId?: number
  clients?: OAuthClientSpec[]
  /** Legacy Basic admin accounts, usable together with the tenant code. */
  admins?: Array<{ username: string; password: string }>
  tokenLifetimeSeconds?: number
  /** When true, Bearer requests must carry the tenant code too. Default false. */
  requireTenantCodeWithOAuth?: boolean
  /** Requests per minute before 429; 0 disables. */
  throttlePerMinute?: number
  /** Requests per daily window before 429; 0 disables. */
  dailyQuota?: number
  /** Tie-break rule for a single lookup by serial when several records share it. */
  duplicateSerialLookup?: 'oldest-id' | 'newest-id' | 'enrolled-first'
  /**
   * Serial comparison of a lookup by serial: 'collation' (default) ignores
   * case and trailing spaces as SQL Server's default collation does, an
   * estimate; 'exact' compares the stored string as it is.
   */
  serialLookupMatch?: 'collation' | 'exact'
  /** ComplianceStatus reported for devices that are not enrolled. */
  unenrolledCompliance?: 'keep' | 'NotAvailable' | 'NonCompliant'
  devices?: DeviceSpec[]
  fleet?: FleetOptions
}

/** A deterministic fault: which requests it matches and what it does to them. */
export interface FaultRule {
  id?: string
  match?: {
    /** Path without the `/API` prefix, case-insensitive; `*` matches one segment. */
    path?: string
    method?: string
    /** Query keys and values that must all be present (keys case-insensitive). */
    query?: Record<string, string>
    /** Only calls made with a token of this client. */
    clientId?: string
    /** Fire on the nth matching call only (1-based), or on every call from `nth` on with `fromNth`. */
    nth?: number
    fromNth?: number
    /** Window of virtual time, ISO 8601 or epoch ms. */
    after?: string | number
    before?: string | number
    /** Seeded probability 0..1. */
    probability?: number
  }
  effect:
    | { type: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
    | { type: 'rate-limit'; retryAfter?: number | string }
    | { type: 'delay'; ms: number }
    | { type: 'reset' }
    | { type: 'malformed-json' }
    | { type: 'truncated-body'; bytes?: number }
    | { type: 'html-error'; status?: number }
    | { type: 'premature-204' }
    | { type: 'wrong-total'; total: number }
    | { type: 'empty-page' }
    | { type: 'missing-envelope' }
    | { type: 'expire-token' }
    | { type: 'mutate-fleet'; devices?: DeviceSpec[]; removeSerials?: string[] }
  /** How many times the rule may fire; unlimited when absent. */
  times?: number
}

/** One request as the journal stores it, secrets redacted. */
export interface JournalEntry {
  seq: number
  time: number
  method: string
  path: string
  query: Record<string, string>
  tenant: string | null
  clientId: string | null
  /** Request headers with Authorization, secrets and tokens replaced by "[redacted]". */
  headers: Record<string, string>
  status: number
  responseBytes: number
  /** Opaque id of the bearer token used (never the token itself), or null. */
  tokenId: string | null
  /** True when the request carried a token that had expired or was revoked. */
  tokenRejected: boolean
  /** The Retry-After header sent back, if any. */
  retryAfter: string | null
  /** Rate-limit headers sent back, when present. */
  rateLimitRemaining: number | null
  faultId: string | null
  durationMs: number
}

export interface MockServerOptions {
  host?: string
  port?: number
  clock?: Clock
  logger?: Logger
  seed?: number
  /** Defaults to one tenant with a generated fleet of 20 devices. */
  tenants?: TenantSpec[]
  adminToken?: string
  journalSize?: number
  tls?: { cert: string; key: string }
  /**
   * Replaces the 401 an unknown, expired or revoked bearer token gets. No
   * capture of the real body exists; the default is errorCode 1005 with
   * "The access token is invalid or has expired.".
   */
  invalidTokenResponse?: InvalidTokenResponse
}

/** A replacement for the 401 of a bad bearer token. */
export interface InvalidTokenResponse {
  /** Defaults to 401. */
  status?: number
  /** Sent as JSON; a string is sent as it is. */
  body?: unknown
  headers?: Record<string, string>
}

export interface RunningMockServer {
  emulator: EmulatorControl
  /** The first tenant, for the common single-tenant case. */
  tenant: TenantControl
  clock: Clock
  /** Origin, for example http://127.0.0.1:43123. */
  url: string
  /** REST base: `${url}/API`. */
  apiUrl: string
  /** SaaS token URL: `${url}/connect/token`. */
  tokenUrl: string
  adminUrl: string
  close(): Promise<void>
}

/** Selects one device record: by id, uuid, or serial (exact stored value). */
export type DeviceSelector = { id: number } | { uuid: string } | { serialNumber: string }

/** The identifying fields of one device record, as `TenantControl.listDevices` returns them. */
export interface DeviceSummary {
  id: number
  uuid: string
  /** Stored exactly as reported: no trimming, no case change. May be "". */
  serialNumber: string
  /** Platform name as the API spells it (`WinRT`, `AppleOsX`, ...); imported records may carry other names. */
  platform: string
  /** `Enrolled`, `Unenrolled`, ... as the API spells it. */
  enrollmentStatus: string
  userEmail: string | null
  friendlyName: string | null
}

/** Filter for journal reads; every given field must match. */
export interface JournalFilter {
  method?: string
  /** Substring of the path, case-insensitive. */
  path?: string
  status?: number
  clientId?: string
  since?: number
  until?: number
}

/**
 * Run-time control of one tenant. The control API (`/__admin`) and the
 * harness both go through this, so they cannot disagree.
 */
export interface TenantControl {
  readonly name: string
  readonly tenantCode: string
  addDevice(spec: DeviceSpec): { id: number; uuid: string }
  updateDevice(selector: DeviceSelector, patch: Partial<DeviceSpec>): void
  removeDevice(selector: DeviceSelector): void
  /** Sets one policy's result on a device; adds the policy when the device lacks it. */
  setPolicy(
    selector: DeviceSelector,
    policyName: string,
    result: { compliant?: boolean; pending?: boolean },
  ): void
  /** Marks a device Unenrolled; the record stays, as in a real tenant. */
  unenroll(selector: DeviceSelector): void
  /** Re-enrolment creates a new record with a new id and uuid; the old one stays Unenrolled. */
  reenroll(selector: DeviceSelector, patch?: Partial<DeviceSpec>): { id: number; uuid: string }
  /** Summaries of every device record, in id order. Unenrolled records are included. */
  listDevices(): DeviceSummary[]
  /** Every record whose serial equals `serialNumber` exactly. */
  findBySerial(serialNumber: string): Array<{ id: number; uuid: string }>
  generateFleet(options: FleetOptions): number
  /** Imports the `Devices` of a v1/v2 `/devices/search` JSON body; returns the count. */
  importSearchExport(body: unknown): number
  deviceCount(): number
  createClient(spec: OAuthClientSpec): void
  disableClient(clientId: string): void
  enableClient(clientId: string): void
  /** Gives the client a new secret and revokes its tokens. */
  rotateSecret(clientId: string, newSecret?: string): string
  revokeTokens(clientId: string): void
  setTenantCode(tenantCode: string): void
}

export interface EmulatorControl {
  readonly clock: Clock
  tenant(name?: string): TenantControl
  tenants(): TenantControl[]
  addFault(rule: FaultRule): string
  removeFault(id: string): void
  clearFaults(): void
  journal(filter?: JournalFilter): JournalEntry[]
  clearJournal(): void
  /** Full state as JSON-compatible data: tenants, devices, clients (secrets included), faults. */
  snapshot(): unknown
  restore(snapshot: unknown): void
  reset(): void
}
