/**
 * Renders response bodies as ready bytes; the HTTP layer only sends them.
 *
 * Search pages are cached per store: the key is the store version, the
 * normalized query and the API version, so a repeated request returns the
 * same Buffer until the fleet changes. A page is built by joining per-device
 * JSON fragments, which are cached by device object. The store replaces a
 * device object on every change, so only a changed device re-serializes and
 * the rest of the page is reused.
 */
import type { Device } from './device'
import type { DeviceStore } from './store'
import { parseSearchDate } from './dates'
import { serializeV1Device, serializeV1SearchItem } from './serialize/v1'
import { serializeV2Device } from './serialize/v2'
import { serializeV3Device, serializeV3SearchItem } from './serialize/v3'
import { toComplianceByIdRecord, toComplianceBySearchRecord } from './serialize/compliance'
import { toSecurityRecord } from './serialize/security'
import { V3_COMPLIANCE_STATUS, V3_OWNERSHIP } from './serialize/common'

export type ApiVersion = 1 | 2 | 3

/** Maximum and default page size of device searches, as the API documents. */
export const MAX_PAGE_SIZE = 500

export type OrderBy = 'deviceid' | 'model' | 'lastseen' | 'ownership' | 'platform' | 'serialnumber' | 'user'

/** A parsed, validated device search. Filters that are absent match everything. */
export interface SearchQuery {
  user?: string
  model?: string
  /** Platform name (`WinRT`, `Apple`...) or, from v3 `device_type`, its number. */
  platform?: string
  platformId?: number
  /** Devices last seen at or before this time (epoch ms). */
  lastSeen?: number
  /** Devices last seen at or after this time (epoch ms). */
  seenSince?: number
  ownership?: string
  groupId?: number
  groupUuid?: string
  /** Device `ComplianceStatus` to match. */
  complianceStatus?: string
  /** Exact device id (litesearch `deviceid`). */
  deviceId?: number
  page: number
  /** Effective page size, after capping at 500. */
  pageSize: number
  orderBy: OrderBy
  sortOrder: 'ASC' | 'DESC'
}

export type ParseResult =
  | { ok: true; query: SearchQuery }
  | { ok: false; field: string; value: string; message: string }

class QueryError extends Error {
  constructor(
    readonly field: string,
    readonly value: string,
    message: string,
  ) {
    super(message)
  }
}

const ORDER_ALIASES: Readonly<Record<string, OrderBy>> = {
  deviceid: 'deviceid',
  id: 'deviceid',
  model: 'model',
  modelidentifier: 'model',
  lastseen: 'lastseen',
  ownership: 'ownership',
  platform: 'platform',
  devicetype: 'platform',
  serialnumber: 'serialnumber',
  user: 'user',
  username: 'user',
}

/** Query keys per API version, mapped to the filter they set. */
const SEARCH_KEYS: Readonly<Record<ApiVersion, Readonly<Record<string, string>>>> = {
  1: {
    user: 'user',
    model: 'model',
    platform: 'platform',
    lastseen: 'lastSeen',
    ownership: 'ownership',
    lgid: 'groupId',
    compliantstatus: 'compliant',
    seensince: 'seenSince',
    page: 'page',
    pagesize: 'pageSize',
    orderby: 'orderBy',
    sortorder: 'sortOrder',
  },
  2: {
    user: 'user',
    model: 'model',
    platform: 'platform',
    lastseen: 'lastSeen',
    ownership: 'ownership',
    lgid: 'groupId',
    compliance_status: 'compliant',
    seen_since: 'seenSince',
    page: 'page',
    pagesize: 'pageSize',
    orderby: 'orderBy',
    sortorder: 'sortOrder',
  },
  3: {
    user: 'user',
    model_identifier: 'model',
    device_type: 'platform',
    last_seen: 'lastSeen',
    ownership: 'ownership',
    organization_group_uuid: 'groupUuid',
    compliance_status: 'complianceV3',
    seen_since: 'seenSince',
    page: 'page',
    page_size: 'pageSize',
    order_by: 'orderBy',
    sort_order: 'sortOrder',
  },
}

const LITESEARCH_KEYS: Readonly<Record<string, string>> = {
  organizationgroupid: 'groupId',
  platform: 'platform',
  seensince: 'seenSince',
  seentill: 'lastSeen',
  deviceid: 'deviceId',
  page: 'page',
  pagesize: 'pageSize',
}

const DATE_FORMATS_HINT =
  'use a date such as 2024-05-01, 05/01/2024 or 2024-05-01T10:00:00.000'

function parseWholeNumber(field: string, value: string, min: number): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < min) {
    throw new QueryError(field, value, `Invalid ${field} "${value}": use a whole number of ${min} or more.`)
  }
  return Number(value)
}

function applyFilter(
  query: SearchQuery,
  filter: string,
  field: string,
  value: string,
  version: ApiVersion | 'lite',
): void {
  switch (filter) {
    case 'user':
      query.user = value
      return
    case 'model':
      query.model = value
      return
    case 'platform':
      if (version === 3 && /^\d+$/.test(value)) query.platformId = Number(value)
      else query.platform = value
      return
    case 'lastSeen':
    case 'seenSince': {
      const parsed = parseSearchDate(value)
      if (parsed === undefined) {
        throw new QueryError(field, value, `Invalid ${field} "${value}": ${DATE_FORMATS_HINT}.`)
      }
      query[filter] = parsed
      return
    }
    case 'ownership': {
      const code = parseOwnership(value, version === 3)
      if (code === undefined) {
        throw new QueryError(
          field,
          value,
          `Invalid ${field} "${value}": use C, E, S or Undefined${version === 3 ? ' (or 1 to 4)' : ''}.`,
        )
      }
      query.ownership = code
      return
    }
    case 'groupId':
      query.groupId = parseWholeNumber(field, value, 1)
      return
    case 'groupUuid':
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) {
        throw new QueryError(field, value, `Invalid ${field} "${value}": use an organization group GUID.`)
      }
      query.groupUuid = value
      return
    case 'compliant': {
      const flag = value.toLowerCase()
      if (flag !== 'true' && flag !== 'false') {
        throw new QueryError(field, value, `Invalid ${field} "${value}": use true or false.`)
      }
      query.complianceStatus = flag === 'true' ? 'Compliant' : 'NonCompliant'
      return
    }
    case 'complianceV3': {
      const flag = value.toLowerCase()
      const byNumber = Object.entries(V3_COMPLIANCE_STATUS).find(([, number]) => String(number) === value)
      if (flag === 'true' || flag === 'false') query.complianceStatus = flag === 'true' ? 'Compliant' : 'NonCompliant'
      else if (byNumber !== undefined) query.complianceStatus = byNumber[0]
      else {
        throw new QueryError(field, value, `Invalid ${field} "${value}": use true, false, 0, 1 or 2.`)
      }
      return
    }
    case 'deviceId':
      query.deviceId = parseWholeNumber(field, value, 1)
      return
    case 'page':
      query.page = parseWholeNumber(field, value, 0)
      return
    case 'pageSize':
      query.pageSize = Math.min(parseWholeNumber(field, value, 1), MAX_PAGE_SIZE)
      return
    case 'orderBy': {
      const order = ORDER_ALIASES[value.toLowerCase().replace(/_/g, '')]
      if (order === undefined) {
        throw new QueryError(
          field,
          value,
          `Invalid ${field} "${value}": use deviceid, model, lastseen, ownership, platform, serialnumber or user.`,
        )
      }
      query.orderBy = order
      return
    }
    case 'sortOrder': {
      const order = value.toUpperCase()
      if (order !== 'ASC' && order !== 'DESC') {
        throw new QueryError(field, value, `Invalid ${field} "${value}": use ASC or DESC.`)
      }
      query.sortOrder = order
      return
    }
  }
}

function parseOwnership(value: string, allowNumber: boolean): string | undefined {
  const byCode = ['C', 'E', 'S', 'Undefined'].find((code) => code.toLowerCase() === value.toLowerCase())
  if (byCode !== undefined) return byCode
  if (!allowNumber) return undefined
  return Object.entries(V3_OWNERSHIP).find(([, number]) => String(number) === value)?.[0]
}

function parseWith(
  raw: Record<string, string>,
  keys: Readonly<Record<string, string>>,
  version: ApiVersion | 'lite',
): ParseResult {
  const query: SearchQuery = { page: 0, pageSize: MAX_PAGE_SIZE, orderBy: 'deviceid', sortOrder: 'ASC' }
  try {
    for (const [key, rawValue] of Object.entries(raw)) {
      const filter = keys[key.toLowerCase()]
      // Unknown keys are ignored, and so are empty values, as the real API does.
      if (filter === undefined || typeof rawValue !== 'string' || rawValue.trim() === '') continue
      applyFilter(query, filter, key, rawValue.trim(), version)
    }
  } catch (error) {
    if (error instanceof QueryError) {
      return { ok: false, field: error.field, value: error.value, message: error.message }
    }
    throw error
  }
  return { ok: true, query }
}

/**
 * Parses `/devices/search` query parameters for one API version. Keys are
 * case-insensitive and unknown keys are ignored. A page size above 500 is
 * capped at 500.
 */
export function parseSearchQuery(raw: Record<string, string>, version: ApiVersion): ParseResult {
  return parseWith(raw, SEARCH_KEYS[version], version)
}

/** Parses `/devices/litesearch` parameters (`seentill` is its upper last-seen bound). */
export function parseLitesearchQuery(raw: Record<string, string>): ParseResult {
  return parseWith(raw, LITESEARCH_KEYS, 'lite')
}

function matches(device: Device, query: SearchQuery, store: DeviceStore): boolean {
  if (query.deviceId !== undefined && device.id !== query.deviceId) return false
  if (query.user !== undefined && (device.userName ?? '').toLowerCase() !== query.user.toLowerCase()) return false
  // NOTE: the model filter compares the whole model name, ignoring case. The
  // real filter's rule is undocumented, and clients report that it fails on
  // names like "iPhone 6s (32 GB Silver)".
  if (query.model !== undefined && (device.model ?? '').toLowerCase() !== query.model.toLowerCase()) return false
  if (query.platform !== undefined && device.platform.toLowerCase() !== query.platform.toLowerCase()) return false
  if (query.platformId !== undefined && device.platformId !== query.platformId) return false
  // NOTE: the documentation does not say which bound `lastseen` is. The
  // emulator reads it as an upper bound (seen at or before), so it pairs with `seensince`.
  if (query.lastSeen !== undefined && (device.lastSeen === null || device.lastSeen > query.lastSeen)) return false
  if (query.seenSince !== undefined && (device.lastSeen === null || device.lastSeen < query.seenSince)) return false
  if (query.ownership !== undefined && device.ownership !== query.ownership) return false
  if (query.complianceStatus !== undefined && device.complianceStatus !== query.complianceStatus) return false
  // The root group contains every child group, so filtering by it keeps everything.
  if (query.groupId !== undefined && query.groupId !== store.group.id && device.group.id !== query.groupId) return false
  if (
    query.groupUuid !== undefined &&
    query.groupUuid.toLowerCase() !== store.group.uuid.toLowerCase() &&
    device.group.uuid.toLowerCase() !== query.groupUuid.toLowerCase()
  ) {
    return false
  }
  return true
}

function hasFilter(query: SearchQuery): boolean {
  return (
    query.user !== undefined ||
    query.model !== undefined ||
    query.platform !== undefined ||
    query.platformId !== undefined ||
    query.lastSeen !== undefined ||
    query.seenSince !== undefined ||
    query.ownership !== undefined ||
    query.complianceStatus !== undefined ||
    query.groupId !== undefined ||
    query.groupUuid !== undefined ||
    query.deviceId !== undefined
  )
}

function sortKey(device: Device, orderBy: OrderBy): string | number {
  switch (orderBy) {
    case 'deviceid':
      return device.id
    case 'model':
      return device.model ?? ''
    case 'lastseen':
      return device.lastSeen ?? -Infinity
    case 'ownership':
      return device.ownership
    case 'platform':
      return device.platform
    case 'serialnumber':
      return device.serialNumber
    case 'user':
      return device.userName ?? ''
  }
}

function compareKeys(a: string | number, b: string | number): number {
  if (a < b) return -1
  if (a > b) return 1
  return 0
}

/** Filters and orders the fleet. The devices arrive in id order, so ties stay in id order. */
function selectDevices(store: DeviceStore, query: SearchQuery): readonly Device[] {
  const all = store.devices()
  let selected: readonly Device[] = all
  if (hasFilter(query)) selected = all.filter((device) => matches(device, query, store))
  if (query.orderBy !== 'deviceid') {
    const keyed = selected.map((device) => ({ device, key: sortKey(device, query.orderBy) }))
    keyed.sort((a, b) => compareKeys(a.key, b.key))
    selected = keyed.map((entry) => entry.device)
  }
  if (query.sortOrder === 'DESC') selected = [...selected].reverse()
  return selected
}

// ---------------------------------------------------------------------------
// Caches

/*
 * A page body is built from per-device fragments, and afterwards each
 * fragment is kept as a view into that page's Buffer. Pages and fragments so
 * share memory: caching a fleet costs about one copy of its rendered JSON
 * (about 2.5 KB per device with three policies), not two.
 */

/**
 * Budget of cached fragment bytes per store, all shapes together. Past it,
 * the oldest half is dropped. Fragments of devices a change replaced stay
 * until then, so they count against it too.
 */
const FRAGMENT_BUDGET = 256 * 1024 * 1024
/** Budget of cached page bodies per store, in bytes. Past it, the oldest pages are dropped first. */
const PAGE_BUDGET = 256 * 1024 * 1024

type FragmentShape = 'search' | 'v3search'

/** Fragments of one store. They outlive store versions, unlike pages. */
class FragmentCache {
  private readonly entries: Record<FragmentShape, Map<Device, Buffer>> = { search: new Map(), v3search: new Map() }
  private bytes = 0

  get(device: Device, shape: FragmentShape): Buffer | undefined {
    return this.entries[shape].get(device)
  }

  set(device: Device, shape: FragmentShape, fragment: Buffer): void {
    const entries = this.entries[shape]
    const previous = entries.get(device)
    if (previous !== undefined) this.bytes -= previous.length
    entries.set(device, fragment)
    this.bytes += fragment.length
    if (this.bytes > FRAGMENT_BUDGET) this.evict()
  }

  private evict(): void {
    for (const entries of Object.values(this.entries)) {
      for (const [device, fragment] of entries) {
        if (this.bytes <= FRAGMENT_BUDGET / 2) return
        entries.delete(device)
        this.bytes -= fragment.length
      }
    }
  }
}

// Keyed weakly by store, so a discarded store's fragments are collected with it.
const fragmentCaches = new WeakMap<DeviceStore, FragmentCache>()

function fragmentCacheFor(store: DeviceStore): FragmentCache {
  let cache = fragmentCaches.get(store)
  if (cache === undefined) {
    cache = new FragmentCache()
    fragmentCaches.set(store, cache)
  }
  return cache
}

function fragmentOf(cache: FragmentCache, device: Device, shape: FragmentShape): Buffer {
  const cached = cache.get(device, shape)
  if (cached !== undefined) return cached
  const text = shape === 'search' ? serializeV1SearchItem(device) : serializeV3SearchItem(device)
  const fragment = Buffer.from(text, 'utf8')
  cache.set(device, shape, fragment)
  return fragment
}

const COMMA = Buffer.from(',')

/**
 * Joins the fragments of `items` between `head` and `tail`, then re-points
 * each cached fragment at its bytes inside the new body, so the older
 * buffers can be collected.
 */
function joinFragments(
  store: DeviceStore,
  items: readonly Device[],
  shape: FragmentShape,
  head: string,
  tail: string,
): Buffer {
  const cache = fragmentCacheFor(store)
  const headBytes = Buffer.from(head, 'utf8')
  const parts: Buffer[] = [headBytes]
  const pieces = items.map((device) => fragmentOf(cache, device, shape))
  pieces.forEach((piece, index) => {
    if (index > 0) parts.push(COMMA)
    parts.push(piece)
  })
  parts.push(Buffer.from(tail, 'utf8'))
  const body = Buffer.concat(parts)
  let offset = headBytes.length
  items.forEach((device, index) => {
    const length = (pieces[index] as Buffer).length
    cache.set(device, shape, body.subarray(offset, offset + length))
    offset += length + COMMA.length
  })
  return body
}

interface StoreCache {
  version: number
  selections: Map<string, readonly Device[]>
  pages: Map<string, Buffer>
  pageBytes: number
}

const storeCaches = new WeakMap<DeviceStore, StoreCache>()

function cacheFor(store: DeviceStore): StoreCache {
  let cache = storeCaches.get(store)
  if (cache === undefined || cache.version !== store.version) {
    cache = { version: store.version, selections: new Map(), pages: new Map(), pageBytes: 0 }
    storeCaches.set(store, cache)
  }
  return cache
}

function rememberPage(cache: StoreCache, key: string, body: Buffer): void {
  cache.pages.set(key, body)
  cache.pageBytes += body.length
  for (const [oldKey, oldBody] of cache.pages) {
    if (cache.pageBytes <= PAGE_BUDGET) break
    cache.pages.delete(oldKey)
    cache.pageBytes -= oldBody.length
  }
}

/** Cache key of a query's filters and order; the sorted key list makes parameter order irrelevant. */
function selectionKey(query: SearchQuery): string {
  const { page: _page, pageSize: _pageSize, ...rest } = query
  return JSON.stringify(rest, Object.keys(rest).sort())
}

function cachedSelection(
  store: DeviceStore,
  cache: StoreCache,
  query: SearchQuery,
  key: string = selectionKey(query),
): readonly Device[] {
  let selected = cache.selections.get(key)
  if (selected === undefined) {
    selected = selectDevices(store, query)
    cache.selections.set(key, selected)
  }
  return selected
}

export type SearchRender =
  | { status: 200; body: Buffer; total: number; page: number; pageSize: number }
  | { status: 204 }

function renderPage(
  store: DeviceStore,
  query: SearchQuery,
  kind: string,
  build: (items: readonly Device[], total: number) => Buffer,
): SearchRender {
  const cache = cacheFor(store)
  // The key is built once here, because serializing the query costs time on every page request.
  const selection = selectionKey(query)
  const pageKey = `${kind}|${query.page}|${query.pageSize}|${selection}`
  const selected = cachedSelection(store, cache, query, selection)
  const total = selected.length
  const start = query.page * query.pageSize
  if (total === 0 || start >= total) return { status: 204 }
  let body = cache.pages.get(pageKey)
  if (body === undefined) {
    body = build(selected.slice(start, start + query.pageSize), total)
    rememberPage(cache, pageKey, body)
  }
  return { status: 200, body, total, page: query.page, pageSize: query.pageSize }
}

/**
 * Renders one search page. v1 and v2 send the same items in
 * `{"Devices":[...],"Page","PageSize","Total"}`. v3 sends
 * `{"devices":[...],"page","page_size","total"}`. No match, or a page past
 * the end, gives 204 as real tenants do.
 */
export function renderSearch(store: DeviceStore, query: SearchQuery, version: ApiVersion): SearchRender {
  if (version === 3) {
    return renderPage(store, query, 'v3', (items, total) =>
      joinFragments(
        store,
        items,
        'v3search',
        '{"devices":[',
        `],"page":${query.page},"page_size":${query.pageSize},"total":${total}}`,
      ),
    )
  }
  return renderPage(store, query, 'v1', (items, total) =>
    joinFragments(
      store,
      items,
      'search',
      '{"Devices":[',
      `],"Page":${query.page},"PageSize":${query.pageSize},"Total":${total}}`,
    ),
  )
}

/**
 * Renders a `/devices/litesearch` page.
 * NOTE: no litesearch capture exists. Items use the v1 `Device` shape inside
 * the v1 search envelope.
 */
export function renderLitesearch(store: DeviceStore, query: SearchQuery): SearchRender {
  return renderPage(store, query, 'lite', (items, total) => {
    const parts = items.map((device) => serializeV1Device(device))
    const text = `{"Devices":[${parts.join(',')}],"Page":${query.page},"PageSize":${query.pageSize},"Total":${total}}`
    return Buffer.from(text, 'utf8')
  })
}

/**
 * Renders one device. 'v1' is the v1 `Device` of `?searchby=` and
 * `/devices/{id}`, while 'v2' and 'v3' are the get-by-uuid shapes. `ctx.baseUrl` is the server
 * origin used in `Links[].Href`.
 */
export function renderDevice(device: Device, shape: 'v1' | 'v2' | 'v3', ctx: { baseUrl: string }): Buffer {
  switch (shape) {
    case 'v1':
      return Buffer.from(serializeV1Device(device), 'utf8')
    case 'v2':
      return Buffer.from(serializeV2Device(device, ctx.baseUrl), 'utf8')
    case 'v3':
      return Buffer.from(serializeV3Device(device, ctx.baseUrl), 'utf8')
  }
}

/** Renders the body of `/devices/{id}/compliance`. `page` is 0-based and `pageSize` is capped at 500. */
export function renderCompliance(device: Device, page: number, pageSize: number): Buffer {
  const size = Math.min(Math.max(1, Math.floor(pageSize)), MAX_PAGE_SIZE)
  const record = toComplianceByIdRecord(device, Math.max(0, Math.floor(page)), size)
  return Buffer.from(JSON.stringify(record), 'utf8')
}

/** Renders the body of `/devices/compliance?searchBy=...&id=...`. */
export function renderComplianceBySearch(device: Device): Buffer {
  return Buffer.from(JSON.stringify(toComplianceBySearchRecord(device)), 'utf8')
}

/** Renders the body of `/devices/{id}/security` and `/devices/security?searchby=`. */
export function renderSecurity(device: Device): Buffer {
  return Buffer.from(JSON.stringify(toSecurityRecord(device)), 'utf8')
}

/**
 * Renders the body of `POST /devices?searchby=Serialnumber`: every record
 * whose serial equals one of `serials` exactly, in id order. Returns null
 * when none matches.
 * NOTE: no capture of this response exists. The emulator uses the v1 search
 * envelope with v1 `Device` items.
 */
export function renderBulkBySerial(store: DeviceStore, serials: string[]): Buffer | null {
  const found = new Set<Device>()
  for (const serial of serials) {
    if (typeof serial !== 'string') continue
    for (const device of store.findBySerial(serial)) found.add(device)
  }
  if (found.size === 0) return null
  const devices = [...found].sort((a, b) => a.id - b.id)
  const parts = devices.map((device) => serializeV1Device(device))
  return Buffer.from(
    `{"Devices":[${parts.join(',')}],"Page":0,"PageSize":${devices.length},"Total":${devices.length}}`,
    'utf8',
  )
}
