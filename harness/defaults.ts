/** Defaults that validation and the runner must agree on. */
import fs from 'node:fs'
import path from 'node:path'
import type { ScenarioSpec } from './spec'

export const DEFAULT_START = '2024-01-01T00:00:00Z'
export const DEFAULT_INTERVAL = '5m'
export const DEFAULT_TENANT_NAME = 'Acme'
export const DEFAULT_TENANT_CODE = 'ws1sim-tenant-code'
export const DEFAULT_CLIENT = { client_id: 'ws1sim-client', client_secret: 'ws1sim-secret' }
export const DEFAULT_INTEGRATION_ID = 'ws1-integration'
export const DEFAULT_INTEGRATION_NAME = 'Workspace ONE'
export const DEFAULT_RULE_NAME = 'Workspace ONE compliant'

/** Keys of the timeline step actions; a step has exactly one of them. */
export const TIMELINE_ACTIONS = [
  'set_policy', 'update_device', 'unenroll', 'reenroll', 'add_device', 'remove_device', 'rotate_secret',
  'disable_client', 'enable_client', 'revoke_tokens', 'set_tenant_code', 'add_fault', 'remove_fault',
  'clear_faults', 'cloudflare_devices',
] as const

/** Gateway refreshes its posture cache on this period, counted from virtual time zero. */
export const GATEWAY_CACHE_REFRESH_MS = 5 * 60_000

export function clientsOf(spec: ScenarioSpec): Array<{ client_id: string; client_secret: string; enabled?: boolean }> {
  const clients = spec.tenant?.clients
  return clients !== undefined && clients.length > 0 ? clients : [DEFAULT_CLIENT]
}

/**
 * Resolves a fleet import path relative to the scenario file. A path whose
 * first segment is `shared/` and that does not exist there is looked up
 * beside the repository root, where the project's shared fixtures live.
 */
export function resolveImportPath(scenarioFile: string | undefined, importPath: string): string {
  const baseDir = scenarioFile === undefined ? process.cwd() : path.dirname(path.resolve(scenarioFile))
  const direct = path.resolve(baseDir, importPath)
  if (fs.existsSync(direct) || !importPath.replace(/\\/g, '/').startsWith('shared/')) return direct
  const repoRoot = findRepoRoot(baseDir)
  return repoRoot === undefined ? direct : path.resolve(repoRoot, '..', importPath)
}

function findRepoRoot(start: string): string | undefined {
  let dir = start
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir
    const parent = path.dirname(dir)
    if (parent === dir) return undefined
    dir = parent
  }
}

/** Reads the `Devices` list of a devices/search export; throws a message naming the file and the problem. */
export function readSearchExport(file: string): { body: unknown; serials: string[] } {
  let body: unknown
  try {
    body = JSON.parse(fs.readFileSync(file, 'utf8'))
  } catch (error) {
    throw new Error(`cannot read ${file}: ${(error as Error).message}`)
  }
  const devices = (body as { Devices?: unknown }).Devices
  if (!Array.isArray(devices)) throw new Error(`${file} has no "Devices" list; export the body of GET /API/mdm/devices/search`)
  const serials = devices.map((device) => String((device as { SerialNumber?: unknown }).SerialNumber ?? ''))
  return { body, serials }
}
