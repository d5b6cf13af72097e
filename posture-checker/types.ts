/**
 * Public types of the posture checker. Configuration objects use Cloudflare's
 * own API shapes (snake_case), so a file written for the Cloudflare API works
 * here unchanged.
 */
import type { Logger } from 'pino'

/** Cloudflare posture integration of type workspace_one. */
export interface PostureIntegration {
  id?: string
  name: string
  type: 'workspace_one'
  /** Polling frequency, `"10m"` or `"1h"`. */
  interval: string
  config: {
    /** REST API URL, for example https://as123.awmdm.com/API. */
    api_url: string
    /** Token URL, for example https://na.uemauth.workspaceone.com/connect/token. */
    auth_url: string
    client_id: string
    /** May be absent when the secret comes from an environment variable. */
    client_secret?: string
  }
}

export type ComplianceStatus = 'compliant' | 'noncompliant' | 'unknown'

export type CloudflarePlatform = 'windows' | 'mac' | 'linux' | 'android' | 'ios' | 'chromeos'

/** Cloudflare device posture rule of type workspace_one. */
export interface PostureRule {
  id?: string
  name: string
  description?: string
  type: 'workspace_one'
  input: {
    compliance_status: ComplianceStatus
    /** The integration's `id` or `name`. */
    connection_id: string
  }
  match?: Array<{ platform: CloudflarePlatform }>
  /** Result lifetime, `"30m"` or `"2h"`; unset means valid until overwritten. */
  expiration?: string
}

/** A device as Cloudflare (WARP) records it. */
export interface CloudflareDevice {
  device_id: string
  /** null or "" when WARP could not read one. */
  serial_number: string | null
  platform: CloudflarePlatform
  email?: string
  name?: string
  manufacturer?: string
  model?: string
  os_version?: string
  user_uid?: string
}

/** The three keys of a `ws1sim check --config` file. */
export interface CheckerConfig {
  integration: PostureIntegration
  rules: PostureRule[]
  devices: CloudflareDevice[]
}

/** Time source and timer for every wait the checker makes. */
export interface Clock {
  now(): number
  /** Resolves after `ms` on this clock; rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

export interface CheckerOptions {
  clock?: Clock
  /** Defaults to the global fetch; the harness injects one that tracks in-flight requests. */
  fetch?: typeof fetch
  logger?: Logger
  /** Seed for retry jitter. */
  seed?: number
  /** Per-request timeout in ms (default 30000). */
  requestTimeoutMs?: number
  /** Maximum attempts per request including the first (default 4). */
  maxAttempts?: number
  /** First backoff step in ms (default 1000), doubled per attempt, capped at maxBackoffMs. */
  baseBackoffMs?: number
  maxBackoffMs?: number
  /**
   * Longest Retry-After in ms the checker waits for inside one poll (default
   * 300000). A longer one ends the poll, and later polls send no request
   * until the time it names.
   */
  maxRetryAfterMs?: number
  /** Refresh the token this many seconds before it expires (default 60). */
  tokenRefreshSkewSeconds?: number
  /** `Accept` version for devices/search: 1 or 2 (default 2). */
  searchApiVersion?: 1 | 2
  /** Page size asked for (default 500; the server may cap it). */
  pageSize?: number
  /** Source of the compliance flags (default 'search'). */
  complianceSource?: 'search' | 'per-device'
  /** Parallel per-device compliance requests (default 4). */
  complianceConcurrency?: number
  /**
   * Lookups by serial instead of a full sync when the Cloudflare list has at
   * most this many devices (default 0: always sync).
   */
  serialLookupThreshold?: number
  /** Duplicate-serial handling (default 'unknown'). */
  duplicateSerials?: 'unknown' | 'prefer-enrolled'
  /** Treat never-evaluated devices as unknown instead of compliant (default false). */
  strictUnevaluated?: boolean
  /** Records last seen longer ago than this (ms) become unknown; off by default. */
  maxLastSeenAgeMs?: number
  /** Sent as aw-tenant-code when set; Cloudflare's integration sends none. */
  tenantCode?: string
}

/** Reason code for a device's status. */
export type ResultReason =
  | 'all_flags_pass'
  | 'flag_failed'
  | 'flag_pending'
  | 'never_evaluated'
  | 'not_compliant_status'
  | 'no_serial'
  | 'placeholder_serial'
  | 'not_found'
  | 'duplicate_serial'
  | 'not_enrolled'
  | 'stale_last_seen'
  | 'platform_not_matched'
  | 'sync_incomplete'
  | 'provider_error'
  | 'expired'

/**
 * One posture result: the fields of Cloudflare's `device_posture_results`
 * log records, then our diagnostics in camelCase.
 */
export interface PostureResult {
  ClientVersion: string
  DeviceID: string
  DeviceManufacturer: string
  DeviceModel: string
  DeviceName: string
  DeviceSerialNumber: string
  DeviceType: string
  Email: string
  OSVersion: string
  PolicyID: string
  PostureCheckName: string
  PostureCheckType: 'workspace_one'
  PostureEvaluatedResult: boolean
  /** JSON text of what the rule expects, e.g. {"compliance_status":"compliant"}. */
  PostureExpectedJSON: string
  /** JSON text of what the provider returned, e.g. {"compliance_status":"noncompliant"}. */
  PostureReceivedJSON: string
  /** RFC 3339 UTC time of the evaluation. */
  Timestamp: string
  UserUID: string
  status: ComplianceStatus
  reason: ResultReason
  /** Human-readable detail, for example which flag failed. */
  detail: string
  matchedWs1Id: number | null
  matchedWs1Uuid: string | null
  /** Candidate records of an ambiguous match. */
  candidates?: Array<{ id: number; uuid: string; enrollmentStatus: string }>
  /** False when the result was carried over from an earlier poll because this one was incomplete. */
  fresh: boolean
  /** When the carried result was computed (RFC 3339). */
  evaluatedAt: string
  evaluated?: boolean
  poll: number
}

/** Outcome of one poll, with its per-device results. */
export interface PollOutcome {
  poll: number
  startedAt: number
  finishedAt: number
  /** True when every page arrived and counts agreed; only then are new statuses published. */
  complete: boolean
  /** Set when the poll ended on a configuration or provider error. */
  error?: { kind: 'config' | 'auth' | 'provider' | 'schema' | 'quota'; code?: string; message: string }
  requests: number
  pages: number
  ws1Records: number
  results: PostureResult[]
}
