import { createHash } from 'node:crypto'
import type { TenantSpec } from '../mock-workspace-one/types'

/** Login details of a running emulator, as `serve --json` prints them. */
export interface Credentials {
  clientId: string
  clientSecret: string
  tenantCode: string
}

/** Derives a stable, seed-specific value, so the same --seed gives the same credentials. */
function derive(seed: number, purpose: string, length: number): string {
  return createHash('sha256').update(`ws1sim:${seed}:${purpose}`).digest('base64url').slice(0, length)
}

export const DEFAULT_CLIENT_ID = 'ws1sim-client'

/**
 * Builds the tenant `ws1sim serve` creates without --scenario or --state: one
 * organization group, one enabled OAuth client and a generated fleet.
 */
export function defaultTenantSpec(seed: number, deviceCount: number): TenantSpec {
  return {
    name: 'Acme Corp',
    tenantCode: derive(seed, 'tenant-code', 32),
    clients: [{ clientId: DEFAULT_CLIENT_ID, clientSecret: derive(seed, 'client-secret', 40) }],
    fleet: { count: deviceCount, seed },
  }
}

/** Credentials of the first tenant and its first OAuth client. */
export function credentialsOf(tenant: TenantSpec): Credentials | undefined {
  const client = tenant.clients?.[0]
  if (client === undefined) return undefined
  return { clientId: client.clientId, clientSecret: client.clientSecret, tenantCode: tenant.tenantCode }
}

function stringField(value: unknown, key: string): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const field: unknown = (value as Record<string, unknown>)[key]
  return typeof field === 'string' ? field : undefined
}

/**
 * Reads the first tenant's code and its first enabled OAuth client from an
 * emulator snapshot (`tenants[].tenantCode`, `tenants[].clients[]`).
 */
export function credentialsFromSnapshot(snapshot: unknown): Credentials | undefined {
  if (typeof snapshot !== 'object' || snapshot === null) return undefined
  const tenants: unknown = (snapshot as Record<string, unknown>)['tenants']
  if (!Array.isArray(tenants)) return undefined
  const tenant: unknown = tenants[0]
  const tenantCode = stringField(tenant, 'tenantCode')
  if (tenantCode === undefined || typeof tenant !== 'object' || tenant === null) return undefined
  const clients: unknown = (tenant as Record<string, unknown>)['clients']
  if (!Array.isArray(clients)) return undefined
  const isEnabled = (entry: unknown): boolean =>
    (entry as Record<string, unknown> | null)?.['enabled'] !== false
  const client: unknown = clients.find(isEnabled) ?? clients[0]
  const clientId = stringField(client, 'clientId')
  const clientSecret = stringField(client, 'clientSecret')
  if (clientId === undefined || clientSecret === undefined) return undefined
  return { clientId, clientSecret, tenantCode }
}
