import { timingSafeEqual } from 'node:crypto'
import type { Logger } from 'pino'
import { DeviceStore } from './store'
import { deriveBytes, formatUuid } from './headers'
import {
  createClient,
  DEFAULT_TOKEN_LIFETIME_SECONDS,
  hashSecret,
  type OAuthClient,
  type TokenService,
} from './oauth'
import { DEFAULT_DAILY_QUOTA, RateLimiter } from './rate-limit'
import type {
  Clock,
  DeviceSelector,
  DeviceSpec,
  DeviceSummary,
  FleetOptions,
  OAuthClientSpec,
  TenantControl,
  TenantSpec,
} from './types'

export const DEFAULT_TENANT_NAME = 'Acme Corp'
export const DEFAULT_CLIENT_ID = 'ws1sim-client'
export const DEFAULT_FLEET_SIZE = 20

/** Everything a tenant needs from the emulator that owns it. */
export interface TenantContext {
  clock: Clock
  seed: number
  tokens: TokenService
  logger: Logger
}

/** Generates a tenant code in the shape of a real REST API key: 32 bytes in base64. */
export function generateTenantCode(seed: number, index: number): string {
  return deriveBytes(seed, 'tenant-code', index).toString('base64')
}

/** Generates a client secret in a URL-safe alphabet, so it needs no encoding in a form body. */
export function generateClientSecret(seed: number, label: string): string {
  return deriveBytes(seed, `client-secret:${label}`, 0).toString('base64url').slice(0, 40)
}

/** Builds the tenant used when options name none: one client and a seeded fleet of 20. */
export function defaultTenantSpec(seed: number): TenantSpec {
  return {
    name: DEFAULT_TENANT_NAME,
    tenantCode: generateTenantCode(seed, 0),
    clients: [{ clientId: DEFAULT_CLIENT_ID, clientSecret: generateClientSecret(seed, DEFAULT_CLIENT_ID) }],
    fleet: { count: DEFAULT_FLEET_SIZE, seed },
  }
}

/** Checks the settings the HTTP layer reads; the device store checks devices and fleets. */
function checkTenantSpec(spec: TenantSpec, index: number): void {
  const where = `tenants[${index}]`
  if (typeof spec !== 'object' || spec === null) throw new TypeError(`${where} must be an object.`)
  if (typeof spec.name !== 'string' || spec.name.trim() === '') {
    throw new TypeError(`${where}.name must be a non-empty string, got ${JSON.stringify(spec.name)}.`)
  }
  if (typeof spec.tenantCode !== 'string' || spec.tenantCode.trim() === '') {
    throw new TypeError(`${where}.tenantCode must be a non-empty string, got ${JSON.stringify(spec.tenantCode)}.`)
  }
  const counts: Array<[string, unknown, number]> = [
    ['tokenLifetimeSeconds', spec.tokenLifetimeSeconds, 1],
    ['dailyQuota', spec.dailyQuota, 0],
    ['throttlePerMinute', spec.throttlePerMinute, 0],
    ['groupId', spec.groupId, 1],
  ]
  for (const [field, value, min] of counts) {
    if (value === undefined) continue
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
      throw new TypeError(`${where}.${field} must be an integer of at least ${min}, got ${JSON.stringify(value)}.`)
    }
  }
  for (const [field, value] of [
    ['clients', spec.clients],
    ['admins', spec.admins],
    ['devices', spec.devices],
  ] as const) {
    if (value !== undefined && !Array.isArray(value)) throw new TypeError(`${where}.${field} must be an array.`)
  }
}

function groupIdOf(spec: TenantSpec, index: number): number {
  return spec.groupId ?? 570 + index
}

function groupUuidOf(spec: TenantSpec, index: number, seed: number): string {
  return formatUuid(deriveBytes(seed, `group:${spec.name}`, index))
}

/** Options a tenant's device store is built with; restoring a snapshot needs the same. */
export function storeOptionsFor(
  spec: TenantSpec,
  index: number,
  context: TenantContext,
): ConstructorParameters<typeof DeviceStore>[0] {
  return {
    clock: context.clock,
    seed: context.seed + index,
    group: { id: groupIdOf(spec, index), name: spec.name, uuid: groupUuidOf(spec, index, context.seed) },
    ...(spec.duplicateSerialLookup === undefined
      ? {}
      : { duplicateSerialLookup: spec.duplicateSerialLookup }),
    ...(spec.unenrolledCompliance === undefined
      ? {}
      : { unenrolledCompliance: spec.unenrolledCompliance }),
    ...(spec.serialLookupMatch === undefined ? {} : { serialLookupMatch: spec.serialLookupMatch }),
  }
}

interface AdminAccount {
  username: string
  password: string
  passwordHash: Buffer
}

/**
 * One tenant (a top-level organization group): its REST API key, OAuth
 * clients, legacy admin accounts, request limits and device store. The
 * control API and the harness both change a tenant through this class.
 */
export class Tenant implements TenantControl {
  readonly name: string
  readonly groupId: number
  readonly groupUuid: string
  readonly tokenLifetimeSeconds: number
  readonly requireTenantCodeWithOAuth: boolean
  readonly rateLimiter: RateLimiter
  readonly store: DeviceStore
  private code: string
  private readonly clients = new Map<string, OAuthClient>()
  private readonly admins = new Map<string, AdminAccount>()
  /** Rotations per client, so generated secrets differ on each rotation yet stay seeded. */
  private readonly rotationCount = new Map<string, number>()

  constructor(
    readonly spec: TenantSpec,
    readonly index: number,
    private readonly context: TenantContext,
    store?: DeviceStore,
  ) {
    checkTenantSpec(spec, index)
    this.name = spec.name
    this.code = spec.tenantCode
    this.groupId = groupIdOf(spec, index)
    this.groupUuid = groupUuidOf(spec, index, context.seed)
    this.tokenLifetimeSeconds = spec.tokenLifetimeSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS
    this.requireTenantCodeWithOAuth = spec.requireTenantCodeWithOAuth ?? false
    this.rateLimiter = new RateLimiter(
      spec.dailyQuota ?? DEFAULT_DAILY_QUOTA,
      spec.throttlePerMinute ?? 0,
    )
    for (const client of spec.clients ?? []) this.createClient(client)
    for (const admin of spec.admins ?? []) {
      this.admins.set(admin.username.toLowerCase(), {
        ...admin,
        passwordHash: hashSecret(admin.password),
      })
    }

    if (store !== undefined) {
      this.store = store
    } else {
      this.store = new DeviceStore(storeOptionsFor(spec, index, context))
      if (spec.fleet !== undefined) this.store.generate(spec.fleet)
      for (const device of spec.devices ?? []) this.store.add(device)
    }
  }

  get tenantCode(): string {
    return this.code
  }

  setTenantCode(tenantCode: string): void {
    if (tenantCode.trim() === '') throw new TypeError('tenantCode must be a non-empty string.')
    this.code = tenantCode
  }

  /** Compares a presented `aw-tenant-code` with this tenant's in constant time. */
  tenantCodeMatches(presented: string): boolean {
    return timingSafeEqual(hashSecret(presented), hashSecret(this.code))
  }

  client(clientId: string): OAuthClient | undefined {
    return this.clients.get(clientId)
  }

  clientList(): OAuthClient[] {
    return [...this.clients.values()]
  }

  /** Checks legacy Basic admin credentials in constant time per account. */
  adminMatches(username: string, password: string): boolean {
    const admin = this.admins.get(username.toLowerCase())
    if (admin === undefined) return false
    return timingSafeEqual(hashSecret(password), admin.passwordHash)
  }

  adminList(): Array<{ username: string; password: string }> {
    return [...this.admins.values()].map(({ username, password }) => ({ username, password }))
  }

  createClient(spec: OAuthClientSpec): void {
    if (typeof spec.clientId !== 'string' || spec.clientId === '') {
      throw new TypeError('clientId must be a non-empty string.')
    }
    if (typeof spec.clientSecret !== 'string' || spec.clientSecret === '') {
      throw new TypeError(`clientSecret of client "${spec.clientId}" must be a non-empty string.`)
    }
    if (this.clients.has(spec.clientId)) {
      throw new TypeError(`Client "${spec.clientId}" already exists in tenant "${this.name}".`)
    }
    this.clients.set(spec.clientId, createClient(spec.clientId, spec.clientSecret, spec.enabled ?? true))
  }

  disableClient(clientId: string): void {
    this.requireClient(clientId).enabled = false
    this.context.tokens.revokeClient(this.name, clientId)
  }

  enableClient(clientId: string): void {
    this.requireClient(clientId).enabled = true
  }

  rotateSecret(clientId: string, newSecret?: string): string {
    const client = this.requireClient(clientId)
    const rotations = (this.rotationCount.get(clientId) ?? 0) + 1
    this.rotationCount.set(clientId, rotations)
    const secret = newSecret ?? generateClientSecret(this.context.seed, `${clientId}:${rotations}`)
    if (secret === '') throw new TypeError('The new client secret must be a non-empty string.')
    this.clients.set(clientId, createClient(clientId, secret, client.enabled))
    this.context.tokens.revokeClient(this.name, clientId)
    return secret
  }

  revokeTokens(clientId: string): void {
    this.requireClient(clientId)
    this.context.tokens.revokeClient(this.name, clientId)
  }

  private requireClient(clientId: string): OAuthClient {
    const client = this.clients.get(clientId)
    if (client === undefined) {
      throw new TenantError('not_found', `Client "${clientId}" does not exist in tenant "${this.name}".`)
    }
    return client
  }

  addDevice(spec: DeviceSpec): { id: number; uuid: string } {
    const device = this.store.add(spec)
    return { id: device.id, uuid: device.uuid }
  }

  updateDevice(selector: DeviceSelector, patch: Partial<DeviceSpec>): void {
    this.store.update(selector, patch)
  }

  removeDevice(selector: DeviceSelector): void {
    this.store.remove(selector)
  }

  setPolicy(
    selector: DeviceSelector,
    policyName: string,
    result: { compliant?: boolean; pending?: boolean },
  ): void {
    this.store.setPolicy(selector, policyName, result)
  }

  unenroll(selector: DeviceSelector): void {
    this.store.unenroll(selector)
  }

  reenroll(selector: DeviceSelector, patch?: Partial<DeviceSpec>): { id: number; uuid: string } {
    const device = this.store.reenroll(selector, patch)
    return { id: device.id, uuid: device.uuid }
  }

  listDevices(): DeviceSummary[] {
    return this.store.devices().map((device) => ({
      id: device.id,
      uuid: device.uuid,
      serialNumber: device.serialNumber,
      platform: device.platform,
      enrollmentStatus: device.enrollmentStatus,
      userEmail: device.userEmail,
      friendlyName: device.friendlyName,
    }))
  }

  findBySerial(serialNumber: string): Array<{ id: number; uuid: string }> {
    return this.store.findBySerial(serialNumber).map((device) => ({ id: device.id, uuid: device.uuid }))
  }

  generateFleet(options: FleetOptions): number {
    return this.store.generate(options)
  }

  importSearchExport(body: unknown): number {
    return this.store.importSearchExport(body)
  }

  deviceCount(): number {
    return this.store.count()
  }

  /** State for snapshots: settings, credentials (secrets included) and devices. */
  toJSON(): TenantSnapshot {
    const {
      name: _name,
      tenantCode: _tenantCode,
      groupId: _groupId,
      clients: _clients,
      admins: _admins,
      devices: _devices,
      fleet: _fleet,
      ...settings
    } = this.spec
    return {
      name: this.name,
      tenantCode: this.code,
      groupId: this.groupId,
      settings,
      clients: this.clientList().map(({ clientId, clientSecret, enabled }) => ({
        clientId,
        clientSecret,
        enabled,
      })),
      admins: this.adminList(),
      store: this.store.toJSON(),
    }
  }
}

/** The parts of a TenantSpec that a snapshot keeps as they are. */
export type TenantSettings = Omit<
  TenantSpec,
  'name' | 'tenantCode' | 'groupId' | 'clients' | 'admins' | 'devices' | 'fleet'
>

/** One tenant inside an emulator snapshot. */
export interface TenantSnapshot {
  name: string
  tenantCode: string
  groupId: number
  /** Token lifetime, limits and lookup options: the spec without identity, credentials and devices. */
  settings: TenantSettings
  clients: Array<{ clientId: string; clientSecret: string; enabled: boolean }>
  admins: Array<{ username: string; password: string }>
  store: unknown
}

/** A tenant-level failure that the control API maps to a status. */
export class TenantError extends Error {
  override readonly name = 'TenantError'

  constructor(
    readonly code: 'not_found' | 'conflict',
    message: string,
  ) {
    super(message)
  }
}
