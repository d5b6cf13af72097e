import { deviceNotFound, ApiError, invalidParameter } from '../errors'
import type { Device } from '../device'
import {
  parseLitesearchQuery,
  parseSearchQuery,
  renderBulkBySerial,
  renderCompliance,
  renderComplianceBySearch,
  renderDevice,
  renderLitesearch,
  renderSearch,
  renderSecurity,
  type ApiVersion,
} from '../render'
import type { SearchBy } from '../store'
import type { ApiResult, PageInfo, RouteContext, RouteDefinition } from './table'
import { JSON_CONTENT_TYPE } from '../headers'

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const NUMERIC_ID = /^\d{1,15}$/

/** `searchby` values, matched case-insensitively as real clients send both spellings. */
const SEARCH_BY: Readonly<Record<string, SearchBy>> = {
  serialnumber: 'Serialnumber',
  udid: 'Udid',
  macaddress: 'Macaddress',
  imeinumber: 'ImeiNumber',
  deviceid: 'DeviceId',
  easid: 'EasId',
}
const SEARCH_BY_NAMES = Object.values(SEARCH_BY).join(', ')

/** Maximum and default page size of the compliance list, as for device search. */
const MAX_PAGE_SIZE = 500

/**
 * The REST endpoints the emulator serves, in matching order: fixed paths
 * come before `/mdm/devices/:ref`, which takes numeric ids (v1) and uuids
 * (v2 and v3).
 */
export const API_ROUTES: RouteDefinition[] = [
  { method: 'GET', path: '/mdm/devices/search', versions: [1, 2, 3], handle: searchDevices },
  { method: 'GET', path: '/mdm/devices/litesearch', versions: [1], handle: liteSearchDevices },
  {
    method: 'GET',
    path: '/mdm/devices/compliance',
    versions: [1],
    handle: (context) => {
      const device = lookupDevice(context)
      return json(cachedRender(device, 'compliance-search', () => renderComplianceBySearch(device)))
    },
  },
  {
    method: 'GET',
    path: '/mdm/devices/security',
    versions: [1],
    handle: (context) => json(renderSecurityCached(lookupDevice(context))),
  },
  {
    method: 'GET',
    path: '/mdm/devices',
    versions: [1],
    handle: (context) => json(renderDeviceCached(lookupDevice(context), 'v1', context.baseUrl)),
  },
  { method: 'POST', path: '/mdm/devices', versions: [1], jsonBody: true, handle: bulkBySerial },
  {
    method: 'GET',
    path: '/mdm/devices/:id',
    versions: [1],
    accepts: ([id]) => NUMERIC_ID.test(id ?? ''),
    handle: (context) => json(renderDeviceCached(deviceById(context), 'v1', context.baseUrl)),
  },
  {
    method: 'GET',
    path: '/mdm/devices/:uuid',
    versions: [2, 3],
    accepts: ([uuid]) => UUID_PATTERN.test(uuid ?? ''),
    handle: (context) => {
      const device = context.tenant.store.get({ uuid: (context.params[0] ?? '').toLowerCase() })
      if (device === undefined) throw deviceNotFound()
      const shape = context.version === 3 ? 'v3' : 'v2'
      return json(renderDeviceCached(device, shape, context.baseUrl))
    },
  },
  {
    method: 'GET',
    path: '/mdm/devices/:id/compliance',
    versions: [1],
    accepts: ([id]) => NUMERIC_ID.test(id ?? ''),
    handle: complianceById,
  },
  {
    method: 'GET',
    path: '/mdm/devices/:id/security',
    versions: [1],
    accepts: ([id]) => NUMERIC_ID.test(id ?? ''),
    handle: (context) => json(renderSecurityCached(deviceById(context))),
  },
  { method: 'GET', path: '/system/info', versions: [1], handle: systemInfo },
]

/** Devices whose single-record bodies are kept; the oldest entry goes first past this. */
const MAX_CACHED_DEVICES = 10_000

/**
 * Rendered single-device bodies per device object and variant. The store
 * replaces a device object on every change, so a cached body is never
 * stale; it is only kept in memory until evicted.
 */
const renderCache = new Map<Device, Map<string, Buffer>>()

function cachedRender(device: Device, variant: string, render: () => Buffer): Buffer {
  let variants = renderCache.get(device)
  const cached = variants?.get(variant)
  if (cached !== undefined) return cached
  const body = render()
  if (variants === undefined) {
    variants = new Map()
    renderCache.set(device, variants)
    if (renderCache.size > MAX_CACHED_DEVICES) {
      const oldest = renderCache.keys().next()
      if (oldest.done !== true) renderCache.delete(oldest.value)
    }
  }
  variants.set(variant, body)
  return body
}

function renderDeviceCached(device: Device, shape: 'v1' | 'v2' | 'v3', baseUrl: string): Buffer {
  return cachedRender(device, `${shape} ${baseUrl}`, () => renderDevice(device, shape, { baseUrl }))
}

function renderSecurityCached(device: Device): Buffer {
  return cachedRender(device, 'security', () => renderSecurity(device))
}

function json(body: Buffer): ApiResult {
  return { status: 200, body, contentType: JSON_CONTENT_TYPE }
}

function searchDevices(context: RouteContext): ApiResult {
  const version = context.version as ApiVersion
  const parsed = parseSearchQuery(context.query, version)
  if (!parsed.ok) throw new ApiError(400, 400, parsed.message)
  const rendered = renderSearch(context.tenant.store, parsed.query, version)
  const keys = version === 3 ? V3_ENVELOPE : V1_ENVELOPE
  if (rendered.status === 204) {
    return { status: 204, page: { ...keys, page: parsed.query.page, pageSize: parsed.query.pageSize } }
  }
  return {
    status: 200,
    body: rendered.body,
    page: { ...keys, page: rendered.page, pageSize: rendered.pageSize },
  }
}

function liteSearchDevices(context: RouteContext): ApiResult {
  const parsed = parseLitesearchQuery(context.query)
  if (!parsed.ok) throw new ApiError(400, 400, parsed.message)
  const rendered = renderLitesearch(context.tenant.store, parsed.query)
  if (rendered.status === 204) {
    return { status: 204, page: { ...V1_ENVELOPE, page: parsed.query.page, pageSize: parsed.query.pageSize } }
  }
  return {
    status: 200,
    body: rendered.body,
    page: { ...V1_ENVELOPE, page: rendered.page, pageSize: rendered.pageSize },
  }
}

const V1_ENVELOPE: Omit<PageInfo, 'page' | 'pageSize'> = {
  listKey: 'Devices',
  totalKey: 'Total',
  pageKey: 'Page',
  pageSizeKey: 'PageSize',
}

const V3_ENVELOPE: Omit<PageInfo, 'page' | 'pageSize'> = {
  listKey: 'devices',
  totalKey: 'total',
  pageKey: 'page',
  pageSizeKey: 'page_size',
}

/** Reads `searchby` and `id` (keys in any letter case) and finds the one device they name. */
function lookupDevice(context: RouteContext): Device {
  const searchByValue = context.queryLower['searchby']
  const id = context.queryLower['id']
  if (searchByValue === undefined || searchByValue === '') {
    throw new ApiError(400, 400, `The searchby query parameter is missing; give one of ${SEARCH_BY_NAMES}.`)
  }
  const searchBy = SEARCH_BY[searchByValue.toLowerCase()]
  if (searchBy === undefined) {
    throw new ApiError(
      422,
      422,
      `Invalid searchby parameter '${searchByValue}'; give one of ${SEARCH_BY_NAMES}.`,
    )
  }
  if (id === undefined || id === '') {
    throw new ApiError(400, 400, `The id query parameter is missing; give the ${searchBy} to look up.`)
  }
  const device = context.tenant.store.lookup(searchBy, id)
  if (device === undefined) throw deviceNotFound()
  return device
}

function deviceById(context: RouteContext): Device {
  const device = context.tenant.store.get({ id: Number(context.params[0]) })
  if (device === undefined) throw deviceNotFound()
  return device
}

function complianceById(context: RouteContext): ApiResult {
  const device = deviceById(context)
  const page = integerParameter(context, 'page', 0, 0, Number.MAX_SAFE_INTEGER)
  const pageSize = integerParameter(context, 'pagesize', MAX_PAGE_SIZE, 1, Number.MAX_SAFE_INTEGER)
  return json(renderCompliance(device, page, Math.min(pageSize, MAX_PAGE_SIZE)))
}

function integerParameter(
  context: RouteContext,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = context.queryLower[name]
  if (raw === undefined || raw === '') return fallback
  if (!/^-?\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw invalidParameter(name, raw, `give an integer of at least ${min}.`)
  }
  return Number(raw)
}

function bulkBySerial(context: RouteContext, body: unknown): ApiResult {
  const searchByValue = context.queryLower['searchby']
  if (searchByValue === undefined || searchByValue.toLowerCase() !== 'serialnumber') {
    throw new ApiError(
      422,
      422,
      `Invalid searchby parameter '${searchByValue ?? ''}'; the emulator serves bulk lookups by Serialnumber only.`,
    )
  }
  const values = bulkValues(body)
  const rendered = renderBulkBySerial(context.tenant.store, values)
  if (rendered === null) return { status: 204 }
  return json(rendered)
}

/** Reads `{"BulkValues":{"Value":[...]}}` and names the part that is wrong. */
function bulkValues(body: unknown): string[] {
  const expected = 'send {"BulkValues":{"Value":["<serial>", ...]}}.'
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError(400, 400, `The request body must be a JSON object; ${expected}`)
  }
  const bulk = (body as Record<string, unknown>)['BulkValues']
  if (typeof bulk !== 'object' || bulk === null || Array.isArray(bulk)) {
    throw new ApiError(400, 400, `BulkValues is missing or not an object; ${expected}`)
  }
  const values = (bulk as Record<string, unknown>)['Value']
  if (!Array.isArray(values)) throw new ApiError(400, 400, `BulkValues.Value is missing or not an array; ${expected}`)
  values.forEach((value, index) => {
    if (typeof value !== 'string') {
      throw new ApiError(400, 400, `BulkValues.Value[${index}] is ${JSON.stringify(value)}; every value must be a string.`)
    }
  })
  return values as string[]
}

/** Product details in the shape of `/api/system/info`; the values are the emulator's own. */
function systemInfo(): ApiResult {
  // NOTE: no captured body of this endpoint exists; the keys follow what client scripts read.
  return json(
    Buffer.from(
      JSON.stringify({
        ProductName: 'Workspace ONE UEM',
        ProductVersion: '24.6.0.0',
        ServerName: 'ws1sim',
        IsSaaS: true,
      }),
    ),
  )
}
