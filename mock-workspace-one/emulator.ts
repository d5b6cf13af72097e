import pino, { type Logger } from 'pino'
import { createSystemClock } from './clock'
import { FaultEngine, validateFaultRule } from './faults'
import { UuidSequence } from './headers'
import { DEFAULT_JOURNAL_SIZE, Journal } from './journal'
import { TokenService, type OAuthClient } from './oauth'
import { DeviceStore } from './store'
import {
  defaultTenantSpec,
  storeOptionsFor,
  Tenant,
  TenantError,
  type TenantContext,
  type TenantSnapshot,
} from './tenant'
import type {
  Clock,
  EmulatorControl,
  FaultRule,
  JournalEntry,
  JournalFilter,
  MockServerOptions,
  TenantSpec,
} from './types'

export const DEFAULT_SEED = 1
export const SNAPSHOT_FORMAT = 'ws1sim-emulator-snapshot'

/** An emulator snapshot: JSON-compatible, secrets included. */
export interface EmulatorSnapshot {
  format: typeof SNAPSHOT_FORMAT
  version: 1
  seed: number
  tenants: TenantSnapshot[]
  faults: FaultRule[]
}

/**
 * The emulator's state behind the HTTP layer: tenants, tokens, fault rules,
 * the request journal and the seeded id sequences. Implements the public
 * EmulatorControl, which the control API and the harness share.
 */
export class Emulator implements EmulatorControl {
  readonly clock: Clock
  readonly logger: Logger
  readonly seed: number
  readonly adminToken: string | undefined
  readonly tokens: TokenService
  readonly faults: FaultEngine
  readonly journalBuffer: Journal
  readonly correlationIds: UuidSequence
  readonly activityIds: UuidSequence
  private tenantList: Tenant[] = []
  private readonly initialSpecs: TenantSpec[]

  constructor(options: MockServerOptions = {}) {
    this.clock = options.clock ?? createSystemClock()
    this.logger = options.logger ?? pino({ level: 'silent' })
    this.seed = options.seed ?? DEFAULT_SEED
    this.adminToken = options.adminToken
    this.tokens = new TokenService(this.seed)
    this.faults = new FaultEngine(this.seed)
    this.journalBuffer = new Journal(options.journalSize ?? DEFAULT_JOURNAL_SIZE)
    this.correlationIds = new UuidSequence(this.seed, 'correlation-id')
    this.activityIds = new UuidSequence(this.seed, 'activity-id')
    this.initialSpecs = options.tenants ?? [defaultTenantSpec(this.seed)]
    if (this.initialSpecs.length === 0) {
      throw new TypeError('options.tenants is empty; give at least one tenant or leave it out for the default.')
    }
    this.tenantList = this.buildTenants(this.initialSpecs)
  }

  private buildTenants(specs: TenantSpec[]): Tenant[] {
    const tenants = specs.map((spec, index) => new Tenant(spec, index, this.tenantContext()))
    checkUnique(tenants)
    return tenants
  }

  private tenantContext(): TenantContext {
    return { clock: this.clock, seed: this.seed, tokens: this.tokens, logger: this.logger }
  }

  tenant(name?: string): Tenant {
    if (name === undefined) return this.tenantList[0] as Tenant
    const wanted = name.toLowerCase()
    const tenant = this.tenantList.find((candidate) => candidate.name.toLowerCase() === wanted)
    if (tenant === undefined) {
      const names = this.tenantList.map((candidate) => `"${candidate.name}"`).join(', ')
      throw new TenantError('not_found', `Tenant "${name}" does not exist; tenants are ${names}.`)
    }
    return tenant
  }

  tenants(): Tenant[] {
    return [...this.tenantList]
  }

  /** Finds the tenant whose REST API key equals `tenantCode`. */
  tenantByCode(tenantCode: string): Tenant | undefined {
    return this.tenantList.find((tenant) => tenant.tenantCodeMatches(tenantCode))
  }

  /** Finds an OAuth client by id across all tenants; client ids are unique emulator-wide. */
  findClient(clientId: string): { tenant: Tenant; client: OAuthClient } | undefined {
    for (const tenant of this.tenantList) {
      const client = tenant.client(clientId)
      if (client !== undefined) return { tenant, client }
    }
    return undefined
  }

  /** Validates and adds a fault rule; returns its id. */
  addFault(rule: FaultRule): string {
    return this.faults.add(validateFaultRule(rule))
  }

  removeFault(id: string): void {
    if (!this.faults.remove(id)) throw new TenantError('not_found', `Fault "${id}" does not exist.`)
  }

  clearFaults(): void {
    this.faults.clear()
  }

  journal(filter?: JournalFilter): JournalEntry[] {
    return this.journalBuffer.list(filter)
  }

  clearJournal(): void {
    this.journalBuffer.clear()
  }

  snapshot(): EmulatorSnapshot {
    return {
      format: SNAPSHOT_FORMAT,
      version: 1,
      seed: this.seed,
      tenants: this.tenantList.map((tenant) => tenant.toJSON()),
      faults: this.faults.rules(),
    }
  }

  /**
   * Replaces tenants, clients, devices and faults with a snapshot's. Issued
   * tokens are dropped, so clients fetch new ones. Throws a TypeError naming
   * the first invalid field; the current state stays when it does.
   */
  restore(snapshot: unknown): void {
    const parsed = parseSnapshot(snapshot)
    const tenants = parsed.tenants.map((saved, index) => {
      const spec: TenantSpec = {
        ...saved.settings,
        name: saved.name,
        tenantCode: saved.tenantCode,
        groupId: saved.groupId,
        clients: saved.clients,
        admins: saved.admins,
      }
      const store = DeviceStore.fromJSON(saved.store, storeOptionsFor(spec, index, this.tenantContext()))
      return new Tenant(spec, index, this.tenantContext(), store)
    })
    checkUnique(tenants)
    const faults = new FaultEngine(this.seed)
    for (const rule of parsed.faults) faults.add(validateFaultRule(rule))

    this.tokens.clear()
    this.tenantList = tenants
    this.faults.clear()
    for (const rule of parsed.faults) this.faults.add(rule)
    this.resetLimits()
  }

  /** Returns to the state the emulator started with: tenants, no faults, empty journal, no tokens. */
  reset(): void {
    this.tenantList = this.buildTenants(this.initialSpecs)
    this.tokens.clear()
    this.faults.clear()
    this.journalBuffer.clear()
    this.correlationIds.reset()
    this.activityIds.reset()
  }

  private resetLimits(): void {
    for (const tenant of this.tenantList) tenant.rateLimiter.reset()
  }
}

function checkUnique(tenants: Tenant[]): void {
  const names = new Set<string>()
  const codes = new Set<string>()
  const clients = new Map<string, string>()
  for (const tenant of tenants) {
    const name = tenant.name.toLowerCase()
    if (names.has(name)) throw new TypeError(`Two tenants are named "${tenant.name}"; tenant names must be unique.`)
    names.add(name)
    if (codes.has(tenant.tenantCode)) {
      throw new TypeError(`Tenant "${tenant.name}" reuses another tenant's tenantCode; each tenant needs its own.`)
    }
    codes.add(tenant.tenantCode)
    for (const client of tenant.clientList()) {
      const owner = clients.get(client.clientId)
      if (owner !== undefined) {
        throw new TypeError(
          `Client "${client.clientId}" exists in tenants "${owner}" and "${tenant.name}"; client ids must be unique.`,
        )
      }
      clients.set(client.clientId, tenant.name)
    }
  }
}

function parseSnapshot(snapshot: unknown): EmulatorSnapshot {
  if (typeof snapshot !== 'object' || snapshot === null) {
    throw new TypeError('The snapshot must be a JSON object from GET /__admin/snapshot or saveState.')
  }
  const data = snapshot as Partial<EmulatorSnapshot>
  if (data.format !== SNAPSHOT_FORMAT || data.version !== 1) {
    throw new TypeError(
      `The snapshot "format" must be "${SNAPSHOT_FORMAT}" with "version" 1; this file is not an emulator snapshot.`,
    )
  }
  if (!Array.isArray(data.tenants) || data.tenants.length === 0) {
    throw new TypeError('The snapshot field "tenants" must be a non-empty array.')
  }
  data.tenants.forEach((tenant, index) => {
    const where = `tenants[${index}]`
    if (typeof tenant !== 'object' || tenant === null) throw new TypeError(`Snapshot field "${where}" must be an object.`)
    if (typeof tenant.name !== 'string') throw new TypeError(`Snapshot field "${where}.name" must be a string.`)
    if (typeof tenant.tenantCode !== 'string') {
      throw new TypeError(`Snapshot field "${where}.tenantCode" must be a string.`)
    }
    if (typeof tenant.groupId !== 'number') throw new TypeError(`Snapshot field "${where}.groupId" must be a number.`)
    if (typeof tenant.settings !== 'object' || tenant.settings === null) {
      throw new TypeError(`Snapshot field "${where}.settings" must be an object.`)
    }
    if (!Array.isArray(tenant.clients)) throw new TypeError(`Snapshot field "${where}.clients" must be an array.`)
    if (!Array.isArray(tenant.admins)) throw new TypeError(`Snapshot field "${where}.admins" must be an array.`)
  })
  if (data.faults !== undefined && !Array.isArray(data.faults)) {
    throw new TypeError('The snapshot field "faults" must be an array.')
  }
  return { ...(data as EmulatorSnapshot), faults: data.faults ?? [] }
}
