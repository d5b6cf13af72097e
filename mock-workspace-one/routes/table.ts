import type { Request } from 'express'
import type { VersionHeaders } from '../headers'
import type { Tenant } from '../tenant'

/** Result of a route handler: a rendered body, or 204 No Content. */
export type ApiResult =
  | { status: number; body: Buffer; contentType?: string; page?: PageInfo }
  | { status: 204; body?: undefined; page?: PageInfo }

/** Paging facts of a list response, which the page faults need to rewrite an envelope. */
export interface PageInfo {
  /** `Devices`/`Total` for v1 and v2, `devices`/`total` for v3. */
  listKey: string
  totalKey: string
  pageKey: string
  pageSizeKey: string
  page: number
  pageSize: number
}

/** Everything a route handler may read about an authenticated request. */
export interface RouteContext {
  req: Request
  tenant: Tenant
  /** Query as sent: first value of each key. */
  query: Record<string, string>
  /** Query keys lowercased, for keys the API matches case-insensitively. */
  queryLower: Record<string, string>
  /** Values of the `:param` segments, in order. */
  params: string[]
  version: number
  /** REST base of this server as the client sees it, for `Links[].Href`. */
  baseUrl: string
}

export interface RouteDefinition {
  method: 'GET' | 'POST'
  /** Lowercase path below /API, `:name` for a parameter, for example `/mdm/devices/:id/security`. */
  path: string
  /** API versions the endpoint serves, ascending. */
  versions: number[]
  /** Extra check on the parameters, for routes that share a path shape. */
  accepts?: (params: string[]) => boolean
  /** Whether the handler needs the JSON request body. */
  jsonBody?: boolean
  handle(context: RouteContext, body: unknown): ApiResult | Promise<ApiResult>
}

/** A route with its path split and its version headers precomputed. */
export interface CompiledRoute extends RouteDefinition {
  segments: string[]
  supported: string
  /** Version headers for a requested version 0 (none) to 9. */
  versionHeaders: VersionHeaders[]
}

const MAX_CACHED_VERSION = 9

export function compileRoute(route: RouteDefinition): CompiledRoute {
  const supported = route.versions.join(', ')
  const versionHeaders: VersionHeaders[] = []
  for (let requested = 0; requested <= MAX_CACHED_VERSION; requested++) {
    versionHeaders.push({ served: `v${negotiateVersion(route.versions, requested)}`, supported })
  }
  const segments = route.path.split('/').filter((part) => part !== '')
  return { ...route, segments, supported, versionHeaders }
}

/**
 * Picks the version to serve. Recorded real tenants send 200 rather than
 * 406 here, in the highest version not above the requested one, or else the
 * lowest they have, and name it in `x-api-version`. No requested version
 * means the lowest.
 */
export function negotiateVersion(versions: number[], requested: number): number {
  const lowest = versions[0] ?? 1
  if (requested <= 0) return lowest
  let served = lowest
  for (const version of versions) {
    if (version <= requested) served = version
  }
  return served
}

/** Version headers for a request, from the cache when the requested version is small. */
export function versionHeadersFor(route: CompiledRoute, requested: number): VersionHeaders {
  const cached = route.versionHeaders[requested]
  if (cached !== undefined) return cached
  return { served: `v${negotiateVersion(route.versions, requested)}`, supported: route.supported }
}

/** Reads `version=N` from an Accept header; 0 when absent or not a number. */
export function requestedVersion(accept: string | undefined): number {
  if (accept === undefined) return 0
  const match = /version\s*=\s*"?(\d{1,3})/i.exec(accept)
  return match?.[1] === undefined ? 0 : Number(match[1])
}

export type RouteMatch =
  | { kind: 'found'; route: CompiledRoute; params: string[] }
  | { kind: 'method-not-allowed'; allowed: string[] }
  | { kind: 'not-found' }

/** Finds the route for a path below /API; literal segments match case-insensitively. */
export function matchRoute(routes: CompiledRoute[], method: string, path: string): RouteMatch {
  const segments = path.split('/').filter((part) => part !== '')
  const allowed: string[] = []
  for (const route of routes) {
    const params = matchSegments(route.segments, segments)
    if (params === undefined) continue
    if (route.accepts !== undefined && !route.accepts(params)) continue
    if (route.method === method || (method === 'HEAD' && route.method === 'GET')) {
      return { kind: 'found', route, params }
    }
    if (!allowed.includes(route.method)) allowed.push(route.method)
  }
  return allowed.length > 0 ? { kind: 'method-not-allowed', allowed } : { kind: 'not-found' }
}

function matchSegments(pattern: string[], segments: string[]): string[] | undefined {
  if (pattern.length !== segments.length) return undefined
  const params: string[] = []
  for (let i = 0; i < pattern.length; i++) {
    const part = pattern[i] as string
    const segment = segments[i] as string
    if (part.startsWith(':')) params.push(segment)
    else if (part !== segment.toLowerCase()) return undefined
  }
  return params
}
