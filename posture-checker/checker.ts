/**
 * The posture checker: one poll syncs Workspace ONE, matches every
 * Cloudflare device by serial and publishes one result per device per rule.
 */
import pino, { type Logger } from 'pino'

import { systemClock, toRfc3339 } from './clock'
import { validateIntegration, validateIntegrationUpdate } from './config'
import { parseDuration } from './duration'
import { ConfigError, ProviderError } from './errors'
import {
  buildFreshResults,
  buildResult,
  formatAge,
  LOOKUP_DETAIL,
  statusFromMatch,
  type DeviceStatus,
  type EvaluationOptions,
} from './evaluate'
import { evaluateDevices } from './evaluate-devices'
import { Ws1Http } from './http'
import { classifySerial, matchDevice, SerialIndex, type DuplicateSerialPolicy, type MatchResult } from './match'
import type { Ws1Record } from './records'
import { fetchComplianceFlags, lookupBySerial, mapWithConcurrency, syncAllDevices, type SyncStats } from './sync'
import type {
  CheckerConfig,
  CheckerOptions,
  CloudflareDevice,
  Clock,
  PollOutcome,
  PostureIntegration,
  PostureResult,
  PostureRule,
} from './types'

interface Settings {
  clock: Clock
  logger: Logger
  pageSize: number
  searchApiVersion: 1 | 2
  complianceSource: 'search' | 'per-device'
  complianceConcurrency: number
  serialLookupThreshold: number
  duplicateSerials: DuplicateSerialPolicy
  strictUnevaluated: boolean
  maxLastSeenAgeMs: number | undefined
}

type PollError = NonNullable<PollOutcome['error']>

/** Result of the dashboard-style connection test. */
export interface ConnectionTestResult {
  ok: boolean
  step: 'config' | 'token' | 'api'
  message: string
  code?: string
  status?: number
}

function positiveInteger(value: number | undefined, fallback: number, key: string, allowZero = false): number {
  if (value === undefined) return fallback
  if (!Number.isFinite(value) || !Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new ConfigError(key, `${key} must be a ${allowZero ? 'non-negative' : 'positive'} integer; got ${String(value)}`)
  }
  return value
}

/** A published result with what expiration needs. */
interface PublishedResult {
  result: PostureResult
  rule: PostureRule
  evaluatedAtMs: number
}

export class PostureChecker {
  private config: CheckerConfig
  private readonly settings: Settings
  private readonly http: Ws1Http
  private devices: CloudflareDevice[]
  private pollCount = 0
  /**
   * Last fresh result per rule key (rule id, else name) and device id;
   * carried over while polls fail. Rules that share a key share entries.
   */
  private readonly lastFresh = new Map<string, Map<string, PublishedResult>>()
  private published: PublishedResult[] = []
  /** Number of records the last complete full sync returned, or 0 before the first one. */
  private lastSyncRecords = 0
  private readonly expirationMs = new Map<PostureRule, number | undefined>()

  /** Throws ConfigError for an option out of range or an unreadable rule expiration. */
  constructor(config: CheckerConfig, options: CheckerOptions = {}) {
    this.config = config
    this.devices = [...config.devices]
    const clock = options.clock ?? systemClock
    const logger = options.logger ?? pino({ level: 'silent' })
    this.settings = {
      clock,
      logger,
      pageSize: positiveInteger(options.pageSize, 500, 'pageSize'),
      searchApiVersion: options.searchApiVersion ?? 2,
      complianceSource: options.complianceSource ?? 'search',
      complianceConcurrency: positiveInteger(options.complianceConcurrency, 4, 'complianceConcurrency'),
      serialLookupThreshold: positiveInteger(options.serialLookupThreshold, 0, 'serialLookupThreshold', true),
      duplicateSerials: options.duplicateSerials ?? 'unknown',
      strictUnevaluated: options.strictUnevaluated ?? false,
      maxLastSeenAgeMs: options.maxLastSeenAgeMs,
    }
    for (const [index, rule] of config.rules.entries()) {
      this.expirationMs.set(
        rule,
        rule.expiration === undefined ? undefined : parseDuration(rule.expiration, `rules[${index}].expiration`),
      )
    }
    const injectedFetch = options.fetch
    this.http = new Ws1Http({
      apiUrl: config.integration.config.api_url,
      authUrl: config.integration.config.auth_url,
      clientId: config.integration.config.client_id,
      clientSecret: config.integration.config.client_secret ?? '',
      // Read the global at call time so interceptors installed later still apply.
      fetch: injectedFetch ?? ((input, init) => globalThis.fetch(input, init)),
      clock,
      logger,
      seed: options.seed ?? 1,
      requestTimeoutMs: positiveInteger(options.requestTimeoutMs, 30_000, 'requestTimeoutMs'),
      maxAttempts: positiveInteger(options.maxAttempts, 4, 'maxAttempts'),
      baseBackoffMs: positiveInteger(options.baseBackoffMs, 1_000, 'baseBackoffMs', true),
      maxBackoffMs: positiveInteger(options.maxBackoffMs, 60_000, 'maxBackoffMs', true),
      maxRetryAfterMs: positiveInteger(options.maxRetryAfterMs, 300_000, 'maxRetryAfterMs', true),
      tokenRefreshSkewSeconds: positiveInteger(options.tokenRefreshSkewSeconds, 60, 'tokenRefreshSkewSeconds', true),
      tenantCode: options.tenantCode,
    })
  }

  /** Replaces the Cloudflare device list used from the next poll on. */
  setDevices(devices: CloudflareDevice[]): void {
    this.devices = [...devices]
  }

  /**
   * Replaces the integration from the next request on, as an administrator
   * editing it in the dashboard would, for example after rotating the client
   * secret. Validates it like a config file's `integration` and checks that
   * every rule's connection_id still names it. A secret left out or written
   * as `${NAME}` is read from `options.env` (default `process.env`). A new
   * URL, client id or secret drops the cached token. Results published so
   * far are kept: a later failed poll carries them, and they expire on the
   * rule's expiration counted from when they were evaluated.
   * Throws ConfigError naming each invalid key; the checker is then unchanged.
   */
  updateIntegration(integration: PostureIntegration, options: { env?: Record<string, string | undefined> } = {}): void {
    const checked = validateIntegrationUpdate(integration, this.config.rules, options)
    if (!checked.ok) {
      const first = checked.errors[0]
      const problems = checked.errors.map((issue) => `${issue.key}: ${issue.message}`).join('; ')
      throw new ConfigError(first?.key ?? 'integration', `invalid integration update: ${problems}`)
    }
    const next = checked.integration
    // The record count of the last sync belongs to the old tenant, like a pending Retry-After.
    if (next.config.api_url !== this.config.integration.config.api_url) this.lastSyncRecords = 0
    this.config = { ...this.config, integration: next }
    const credentialsChanged = this.http.updateCredentials({
      apiUrl: next.config.api_url,
      authUrl: next.config.auth_url,
      clientId: next.config.client_id,
      clientSecret: next.config.client_secret ?? '',
    })
    this.settings.logger.info({ integration: next.name, credentialsChanged }, 'integration updated')
  }

  /**
   * Runs one sync and evaluation. Every error is caught: it ends the poll
   * with `error` set, and every device keeps its last fresh result.
   */
  async poll(): Promise<PollOutcome> {
    const { clock, logger } = this.settings
    const poll = ++this.pollCount
    const startedAt = clock.now()
    const requestsBefore = this.http.requestCount
    const stats: SyncStats = { pages: 0 }
    const devices = this.devices
    let ws1Records = 0
    let fresh: { results: PostureResult[]; evaluatedAtMs: number } | undefined
    let error: PollError | undefined

    try {
      const collected = await this.collectResults(devices, stats, poll)
      fresh = collected
      ws1Records = collected.ws1Records
    } catch (caught) {
      error = toPollError(caught)
      logger.error({ poll, kind: error.kind, code: error.code, err: error.message }, 'poll failed')
    }

    const finishedAt = clock.now()
    const results =
      fresh !== undefined ? this.publishFresh(fresh.results, fresh.evaluatedAtMs) : this.publishCarried(devices, error as PollError, poll, finishedAt)

    const outcome: PollOutcome = {
      poll,
      startedAt,
      finishedAt,
      complete: fresh !== undefined,
      requests: this.http.requestCount - requestsBefore,
      pages: stats.pages,
      ws1Records,
      results,
    }
    if (error !== undefined) outcome.error = error

    logger.info(
      {
        poll,
        complete: outcome.complete,
        requests: outcome.requests,
        pages: outcome.pages,
        ws1Records,
        devices: devices.length,
        results: results.length,
        passed: countPassed(results),
      },
      'poll finished',
    )
    return outcome
  }

  /**
   * Tests the integration like the dashboard's Test button: validates the
   * integration, fetches a token, then makes one authorised device search
   * with pagesize=1. Reports the first step that failed.
   */
  async testConnection(): Promise<ConnectionTestResult> {
    const problems: string[] = []
    validateIntegration(this.config.integration, {}, (key, message) => problems.push(`${key}: ${message}`))
    if (problems.length > 0) return { ok: false, step: 'config', message: problems.join('; ') }
    try {
      await this.http.getToken({ force: true, maxAttempts: 1 })
    } catch (caught) {
      return failedStep('token', caught)
    }
    try {
      const response = await this.http.apiGet('mdm/devices/search?pagesize=1', {
        accept: `application/json;version=${this.settings.searchApiVersion}`,
        maxAttempts: 1,
      })
      if (response.status === 204) return { ok: true, step: 'api', message: 'token issued; device search returned no devices (204)' }
      const envelope = response.json as Record<string, unknown> | null
      if (envelope === null || typeof envelope !== 'object' || !Array.isArray(envelope['Devices'])) {
        return { ok: false, step: 'api', message: 'device search returned 200 without a "Devices" array', code: 'missing_devices', status: 200 }
      }
      return { ok: true, step: 'api', message: `token issued; device search reports Total ${String(envelope['Total'])}` }
    } catch (caught) {
      return failedStep('api', caught)
    }
  }

  /**
   * Returns the results of the last poll. A result older than its rule's
   * expiration, counted from evaluatedAt, no longer passes (reason expired).
   */
  latestResults(): PostureResult[] {
    const now = this.settings.clock.now()
    return this.published.map(({ result, rule, evaluatedAtMs }) => this.applyExpiration(result, rule, evaluatedAtMs, now))
  }

  /**
   * Fetches what the poll needs and evaluates every device and rule at the
   * clock's current time. A full sync with flags from the search goes
   * through evaluateDevices; lookups and per-device flags build statuses here.
   */
  private async collectResults(
    devices: CloudflareDevice[],
    stats: SyncStats,
    poll: number,
  ): Promise<{ results: PostureResult[]; evaluatedAtMs: number; ws1Records: number }> {
    if (this.config.integration.config.client_secret === undefined || this.config.integration.config.client_secret === '') {
      throw new ProviderError('config', 'token', 'integration.config.client_secret is missing; set it or WS1_CLIENT_SECRET', {
        code: 'missing_secret',
      })
    }
    this.http.throwIfRetryAfterPending('api', 'the server asked for no request before then, so this poll sent none')
    const { serialLookupThreshold, complianceSource } = this.settings
    const lookup = serialLookupThreshold > 0 && devices.length <= serialLookupThreshold
    if (!lookup && complianceSource === 'search') {
      const records = await this.syncAll(stats)
      const evaluatedAtMs = this.settings.clock.now()
      const results = evaluateDevices(
        records,
        devices,
        this.config.rules,
        {
          duplicateSerials: this.settings.duplicateSerials,
          strictUnevaluated: this.settings.strictUnevaluated,
          maxLastSeenAgeMs: this.settings.maxLastSeenAgeMs,
          poll,
        },
        evaluatedAtMs,
      )
      return { results, evaluatedAtMs, ws1Records: records.length }
    }

    const matches = lookup ? await this.matchByLookup(devices) : await this.matchBySync(devices, stats)
    if (complianceSource === 'per-device') await this.loadComplianceFlags(matches.byDevice)
    const now = this.settings.clock.now()
    const options: EvaluationOptions = {
      now,
      strictUnevaluated: this.settings.strictUnevaluated,
      maxLastSeenAgeMs: this.settings.maxLastSeenAgeMs,
    }
    const statuses = devices.map((device): DeviceStatus => {
      const match = matches.byDevice.get(device.device_id) ?? { kind: 'not_found' }
      const status = statusFromMatch(device, match, options)
      if (lookup && match.kind !== 'no_serial' && match.kind !== 'placeholder') {
        status.detail = `${status.detail}; ${LOOKUP_DETAIL}`
      }
      return status
    })
    const results = buildFreshResults(devices, statuses, this.config.rules, poll, now)
    return { results, evaluatedAtMs: now, ws1Records: matches.ws1Records }
  }

  private async matchBySync(
    devices: CloudflareDevice[],
    stats: SyncStats,
  ): Promise<{ byDevice: Map<string, MatchResult>; ws1Records: number }> {
    const records = await this.syncAll(stats)
    const index = new SerialIndex(records)
    const byDevice = new Map<string, MatchResult>()
    for (const device of devices) {
      byDevice.set(device.device_id, matchDevice(device, index, this.settings.duplicateSerials))
    }
    return { byDevice, ws1Records: records.length }
  }

  /** Runs a full device sync and remembers how many records it returned. */
  private async syncAll(stats: SyncStats): Promise<Ws1Record[]> {
    const records = await syncAllDevices(
      this.http,
      {
        pageSize: this.settings.pageSize,
        apiVersion: this.settings.searchApiVersion,
        logger: this.settings.logger,
        lastSyncRecords: this.lastSyncRecords,
      },
      stats,
    )
    this.lastSyncRecords = records.length
    return records
  }

  /** One `searchby=Serialnumber` request per device with a usable serial. */
  private async matchByLookup(devices: CloudflareDevice[]): Promise<{ byDevice: Map<string, MatchResult>; ws1Records: number }> {
    const byDevice = new Map<string, MatchResult>()
    let ws1Records = 0
    await mapWithConcurrency(devices, this.settings.complianceConcurrency, async (device) => {
      const serial = classifySerial(device)
      if (serial.kind !== 'usable') {
        byDevice.set(device.device_id, serial)
        return
      }
      const record = await lookupBySerial(this.http, device.serial_number ?? '')
      if (record === null) {
        byDevice.set(device.device_id, { kind: 'not_found' })
        return
      }
      ws1Records++
      // The lookup matches on Workspace ONE's side; check the serial again with our normalisation.
      const local = matchDevice(device, new SerialIndex([record]), this.settings.duplicateSerials)
      byDevice.set(device.device_id, local)
    })
    return { byDevice, ws1Records }
  }

  /** Replaces the search-embedded flags of matched records with `devices/{id}/compliance`. */
  private async loadComplianceFlags(byDevice: Map<string, MatchResult>): Promise<void> {
    const records = new Map<number, Ws1Record>()
    for (const match of byDevice.values()) {
      if (match.kind === 'single' && match.record.id !== null) records.set(match.record.id, match.record)
    }
    const ids = [...records.keys()]
    const flags = await mapWithConcurrency(ids, this.settings.complianceConcurrency, (id) =>
      fetchComplianceFlags(this.http, id),
    )
    const flagsById = new Map(ids.map((id, index) => [id, flags[index]]))
    for (const [deviceId, match] of byDevice) {
      if (match.kind !== 'single' || match.record.id === null) continue
      const loaded = flagsById.get(match.record.id)
      if (loaded === 'not_found') {
        byDevice.set(deviceId, { kind: 'not_found' })
      } else {
        byDevice.set(deviceId, { ...match, record: { ...match.record, flags: loaded ?? null } })
      }
    }
  }

  /** Publishes a complete poll's results and remembers each as the last fresh one of its device and rule. */
  private publishFresh(results: PostureResult[], evaluatedAtMs: number): PostureResult[] {
    const rules = this.config.rules
    const published: PublishedResult[] = []
    const byRuleKey = rules.map((rule) => this.lastFreshOf(rule))
    // Results come device by device, each with one result per rule in rule order.
    results.forEach((result, index) => {
      const ruleIndex = index % rules.length
      const entry: PublishedResult = { result, rule: rules[ruleIndex] as PostureRule, evaluatedAtMs }
      byRuleKey[ruleIndex]?.set(result.DeviceID, entry)
      published.push(entry)
    })
    this.published = published
    return results
  }

  private lastFreshOf(rule: PostureRule): Map<string, PublishedResult> {
    const key = rule.id ?? rule.name
    let entries = this.lastFresh.get(key)
    if (entries === undefined) {
      entries = new Map()
      this.lastFresh.set(key, entries)
    }
    return entries
  }

  /**
   * Publishes the results of a failed poll. A device with an earlier fresh
   * result keeps it, marked fresh:false, until the rule's expiration. A
   * device without one gets status unknown and PostureEvaluatedResult false,
   * even under a rule that expects unknown: a failing provider must never
   * make a device pass.
   */
  private publishCarried(devices: CloudflareDevice[], error: PollError, poll: number, now: number): PostureResult[] {
    const published: typeof this.published = []
    const failure = `poll ${poll} failed (${error.kind}${error.code !== undefined ? ` ${error.code}` : ''}): ${error.message}`
    for (const device of devices) {
      for (const rule of this.config.rules) {
        const previous = this.lastFresh.get(rule.id ?? rule.name)?.get(device.device_id)
        if (previous !== undefined) {
          const carried: PostureResult = {
            ...previous.result,
            Timestamp: toRfc3339(now),
            fresh: false,
            poll,
            detail: `${previous.result.detail}; kept from poll ${previous.result.poll} because ${failure}`,
          }
          const result = this.applyExpiration(carried, rule, previous.evaluatedAtMs, now)
          published.push({ result, rule, evaluatedAtMs: previous.evaluatedAtMs })
          continue
        }
        const status: DeviceStatus = {
          status: 'unknown',
          reason: error.kind === 'schema' ? 'sync_incomplete' : 'provider_error',
          detail: `no earlier result; ${failure}`,
          matchedWs1Id: null,
          matchedWs1Uuid: null,
        }
        const result = buildResult(device, rule, status, { poll, now, fresh: false, evaluatedAt: now })
        result.PostureEvaluatedResult = false
        published.push({ result, rule, evaluatedAtMs: now })
      }
    }
    this.published = published
    return published.map((entry) => entry.result)
  }

  private applyExpiration(result: PostureResult, rule: PostureRule, evaluatedAtMs: number, now: number): PostureResult {
    const expirationMs = this.expirationMs.get(rule)
    if (expirationMs === undefined || now - evaluatedAtMs <= expirationMs || result.reason === 'expired') return result
    return {
      ...result,
      PostureEvaluatedResult: false,
      reason: 'expired',
      detail: `result from ${result.evaluatedAt} expired: older than the rule expiration ${rule.expiration ?? ''} by ${formatAge(
        now - evaluatedAtMs - expirationMs,
      )}; ${result.detail}`,
    }
  }
}

function countPassed(results: readonly PostureResult[]): number {
  let passed = 0
  for (const result of results) if (result.PostureEvaluatedResult) passed++
  return passed
}

function toPollError(caught: unknown): PollError {
  if (caught instanceof ProviderError) {
    const error: PollError = { kind: caught.kind, message: caught.message }
    if (caught.code !== undefined) error.code = caught.code
    return error
  }
  // A programming error must not lose results either; report it as a provider fault.
  return { kind: 'provider', code: 'internal_error', message: caught instanceof Error ? caught.message : String(caught) }
}

function failedStep(step: 'token' | 'api', caught: unknown): ConnectionTestResult {
  if (caught instanceof ProviderError) {
    const result: ConnectionTestResult = { ok: false, step, message: caught.message }
    if (caught.code !== undefined) result.code = caught.code
    if (caught.status !== undefined) result.status = caught.status
    return result
  }
  return { ok: false, step, message: caught instanceof Error ? caught.message : String(caught), code: 'internal_error' }
}
