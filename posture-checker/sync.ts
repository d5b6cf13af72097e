/**
 * Reading devices from Workspace ONE: the paged `mdm/devices/search` sync,
 * single lookups by serial and per-device compliance lists.
 */
import type { Logger } from 'pino'

import { IncompleteSyncError, ProviderError } from './errors'
import type { Ws1Http } from './http'
import { readFlags, readWs1Record, recordKey, type ComplianceFlag, type Ws1Record } from './records'

/** Counters the poll reports; updated as pages arrive, so they are right after a failure too. */
export interface SyncStats {
  pages: number
}

export interface SyncSettings {
  pageSize: number
  apiVersion: 1 | 2
  logger: Logger
  /** Number of records the checker's last complete sync returned, or 0 before the first complete sync. */
  lastSyncRecords: number
}

interface Envelope {
  devices: unknown[]
  total: number
  pageSize: number | undefined
}

type PassOutcome = { kind: 'done'; records: Ws1Record[] } | { kind: 'total_changed'; from: number; to: number }

/**
 * Fetches every device through `GET mdm/devices/search`, page 0 onwards.
 * Paging follows the envelope's `PageSize` and `Total`, not the requested
 * size, and ends when the rows received reach `Total` or a 204 arrives at the
 * true end. An empty page 0 is an empty fleet only while no complete sync
 * saw records. Throws IncompleteSyncError when the pages do not add up.
 */
export async function syncAllDevices(http: Ws1Http, settings: SyncSettings, stats: SyncStats): Promise<Ws1Record[]> {
  let outcome = await syncPass(http, settings, stats)
  if (outcome.kind === 'total_changed') {
    settings.logger.warn({ from: outcome.from, to: outcome.to }, 'device total changed during sync, restarting')
    outcome = await syncPass(http, settings, stats)
  }
  if (outcome.kind === 'total_changed') {
    throw new IncompleteSyncError(
      'total_changed',
      `device Total changed between pages again (${outcome.from} to ${outcome.to}) after a restart; the fleet is changing during the sync`,
    )
  }
  return outcome.records
}

async function syncPass(http: Ws1Http, settings: SyncSettings, stats: SyncStats): Promise<PassOutcome> {
  const { logger } = settings
  const accept = `application/json;version=${settings.apiVersion}`
  const byKey = new Map<number | string, Ws1Record>()
  const keyless: Ws1Record[] = []
  const pageKeys: PageKeys[] = []
  let total: number | undefined
  let pageSize = settings.pageSize
  let received = 0
  let page = 0
  let emptyPageRetried = false
  let firstPageRetried = false

  const finish = (): PassOutcome => ({ kind: 'done', records: [...byKey.values(), ...keyless] })

  for (;;) {
    if (total !== undefined && page + 1 > Math.ceil(total / pageSize) + 2) {
      throw new IncompleteSyncError(
        'runaway_paging',
        `paging passed page ${page} although Total ${total} at PageSize ${pageSize} needs ${Math.ceil(total / pageSize)} pages`,
      )
    }
    const response = await http.apiGet(`mdm/devices/search?page=${page}&pagesize=${settings.pageSize}`, { accept })
    stats.pages++

    let rows: unknown[]
    if (response.status === 204) {
      logger.debug({ page, status: 204 }, 'page fetched')
      // Before any 200, the 204 is page 0: an empty fleet, unless the last complete sync saw records.
      if (total === undefined) {
        if (!checkEmptyFirstPage(settings, 204, firstPageRetried)) return finish()
        firstPageRetried = true
        continue
      }
      if (received >= total) return finish()
      rows = []
    } else {
      const envelope = readEnvelope(response.json)
      if (total === undefined && envelope.total === 0 && envelope.devices.length === 0) {
        logger.debug({ page, records: 0, total: 0 }, 'page fetched')
        if (!checkEmptyFirstPage(settings, 200, firstPageRetried)) return finish()
        firstPageRetried = true
        continue
      }
      if (total !== undefined && envelope.total !== total) {
        return { kind: 'total_changed', from: total, to: envelope.total }
      }
      total = envelope.total
      if (envelope.pageSize !== undefined && envelope.pageSize > 0) pageSize = envelope.pageSize
      rows = envelope.devices
      logger.debug({ page, records: rows.length, total, pageSize }, 'page fetched')
    }

    if (rows.length === 0) {
      if (received >= total) return finish()
      if (!emptyPageRetried) {
        emptyPageRetried = true
        logger.warn({ page, received, total }, 'empty page before Total was reached, retrying page')
        continue
      }
      throw new IncompleteSyncError(
        'premature_end',
        `page ${page} was empty twice after ${received} of ${total} records; the sync is incomplete`,
      )
    }
    emptyPageRetried = false

    const records: Ws1Record[] = []
    const keys: Array<number | string> = []
    // A page can repeat an earlier one only when every key on it was seen before.
    let allSeen = true
    for (const row of rows) {
      const record = readWs1Record(row)
      if (record === undefined) continue
      records.push(record)
      const key = recordKey(record)
      if (key === undefined) continue
      keys.push(key)
      if (allSeen && !byKey.has(key)) allSeen = false
    }
    if (keys.length > 0) {
      const current: PageKeys = { page, keys }
      const earlier = allSeen ? findRepeatedPage(current, pageKeys) : undefined
      if (earlier !== undefined) {
        throw new IncompleteSyncError(
          'repeated_page',
          `page ${page} repeated the records of page ${earlier}; the server is not advancing through pages`,
        )
      }
      pageKeys.push(current)
    }
    for (const record of records) {
      const key = recordKey(record)
      // A record seen again on a later page replaces the earlier copy, which is older.
      if (key === undefined) keyless.push(record)
      else byKey.set(key, record)
    }
    received += rows.length
    if (received >= (total ?? 0)) return finish()
    page++
  }
}

/**
 * Decides what an empty page 0 (a 204, or a 200 with Total 0 and no Devices)
 * means. Returns false when it is an empty fleet, because no complete sync
 * saw records before. Returns true, after a warning, when page 0 should be
 * fetched again once. Throws IncompleteSyncError when it was already retried.
 */
function checkEmptyFirstPage(settings: SyncSettings, status: 200 | 204, retried: boolean): boolean {
  const { lastSyncRecords, logger } = settings
  // NOTE: a tenant whose every device was really deleted stays incomplete until the checker restarts.
  if (lastSyncRecords === 0) return false
  if (!retried) {
    logger.warn({ page: 0, status, lastSyncRecords }, 'empty first page although the last complete sync saw records, retrying page')
    return true
  }
  throw new IncompleteSyncError(
    'empty_after_records',
    `page 0 of the device search was empty twice (last answer ${status === 204 ? '204' : '200 with Total 0'}), but the last complete sync returned ${lastSyncRecords} records; the sync is incomplete`,
  )
}

/** Record keys of one fetched page; `signature` is filled only when a repeat check needs it. */
interface PageKeys {
  page: number
  keys: Array<number | string>
  signature?: string
}

/** Sorted keys joined, so two pages with the same records in any order compare equal. */
function pageSignature(entry: PageKeys): string {
  if (entry.signature === undefined) {
    entry.signature = entry.keys.map((key) => (typeof key === 'number' ? `id:${key}` : key)).sort().join(',')
  }
  return entry.signature
}

/** Returns the first earlier page whose records equal those of `current`, if any. */
function findRepeatedPage(current: PageKeys, earlier: readonly PageKeys[]): number | undefined {
  const signature = pageSignature(current)
  return earlier.find((entry) => entry.keys.length === current.keys.length && pageSignature(entry) === signature)?.page
}

function readEnvelope(json: unknown): Envelope {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new IncompleteSyncError('missing_envelope', 'device search returned 200 without a JSON object envelope')
  }
  const envelope = json as Record<string, unknown>
  const devices = envelope['Devices']
  if (!Array.isArray(devices)) {
    if (Array.isArray(envelope['devices'])) {
      throw new IncompleteSyncError(
        'unexpected_version',
        'device search returned the v3 shape (lowercase "devices") to a v1/v2 request; the server ignored the requested version',
      )
    }
    throw new IncompleteSyncError('missing_devices', 'device search returned 200 without a "Devices" array')
  }
  const total = readCount(envelope['Total'])
  if (total === undefined) {
    throw new IncompleteSyncError('missing_total', 'device search envelope has no numeric "Total"')
  }
  return { devices, total, pageSize: readCount(envelope['PageSize']) }
}

function readCount(value: unknown): number | undefined {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
  return typeof number === 'number' && Number.isInteger(number) && number >= 0 ? number : undefined
}

/**
 * Looks one serial up with `GET mdm/devices?searchby=Serialnumber&id=…`.
 * That endpoint returns a single record, so duplicate serials cannot be seen
 * this way. Returns null when Workspace ONE has no record (404 or 204).
 */
export async function lookupBySerial(http: Ws1Http, serial: string): Promise<Ws1Record | null> {
  const response = await http.apiGet(`mdm/devices?searchby=Serialnumber&id=${encodeURIComponent(serial.trim())}`, {
    accept: 'application/json;version=1',
    allowNotFound: true,
  })
  if (response.status === 404 || response.status === 204) return null
  const record = readWs1Record(response.json)
  const json = response.json as Record<string, unknown> | null
  if (record === undefined || json === null || (json['Id'] === undefined && json['SerialNumber'] === undefined)) {
    throw new ProviderError('schema', 'api', 'lookup by serial returned 200 without a device record', {
      code: 'missing_device',
      status: 200,
    })
  }
  return record
}

/**
 * Fetches a device's policy results from `GET mdm/devices/{id}/compliance`.
 * Returns null for a device with no policies (204 or an empty list) and
 * 'not_found' for a 404.
 */
export async function fetchComplianceFlags(http: Ws1Http, id: number): Promise<ComplianceFlag[] | null | 'not_found'> {
  // NOTE: reads only the first page of up to 500 policies; no device seen so far has more.
  const response = await http.apiGet(`mdm/devices/${id}/compliance?page=0&pagesize=500`, {
    accept: 'application/json;version=1',
    allowNotFound: true,
  })
  if (response.status === 404) return 'not_found'
  if (response.status === 204) return null
  const json = response.json as Record<string, unknown> | null
  if (json === null || typeof json !== 'object' || !Array.isArray(json['DeviceCompliance'])) {
    throw new ProviderError('schema', 'api', `compliance of device ${id} returned 200 without a "DeviceCompliance" array`, {
      code: 'missing_compliance',
      status: 200,
    })
  }
  return readFlags(json['DeviceCompliance'])
}

/** Runs `task` over `items` with at most `limit` in flight; rejects with the first failure. */
export async function mapWithConcurrency<T, R>(items: T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length)
  let next = 0
  let failure: { error: unknown } | undefined
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const index = next++
      try {
        results[index] = await task(items[index] as T)
      } catch (error) {
        failure ??= { error }
      }
    }
  }
  // Every worker ends before this returns, so no request of this call outlives it.
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker))
  if (failure !== undefined) throw failure.error
  return results
}
