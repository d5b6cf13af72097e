import type { Clock } from './types'
import { DeviceStore } from './store'
import {
  MAX_PAGE_SIZE,
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
  type SearchQuery,
} from './render'

const NOW = Date.UTC(2024, 4, 20, 8, 0, 0)
const ROOT = { id: 1210, name: 'Acme', uuid: 'c674021e-77f8-4f50-9b5a-57313b41f970' }
const clock: Clock = { now: () => NOW, sleep: async () => undefined }

function makeStore(): DeviceStore {
  return new DeviceStore({ clock, seed: 3, group: ROOT })
}

function query(raw: Record<string, string>, version: ApiVersion = 1): SearchQuery {
  const parsed = parseSearchQuery(raw, version)
  if (!parsed.ok) throw new Error(parsed.message)
  return parsed.query
}

function searchBody(store: DeviceStore, raw: Record<string, string>, version: ApiVersion = 1): Record<string, unknown> {
  const result = renderSearch(store, query(raw, version), version)
  if (result.status !== 200) throw new Error(`expected 200, got ${result.status}`)
  return JSON.parse(result.body.toString('utf8')) as Record<string, unknown>
}

function serialsOf(body: Record<string, unknown>, key = 'Devices', serialKey = 'SerialNumber'): string[] {
  return (body[key] as Array<Record<string, string>>).map((device) => device[serialKey] as string)
}

describe('parseSearchQuery', () => {
  it('uses the documented defaults', () => {
    expect(query({})).toEqual({ page: 0, pageSize: 500, orderBy: 'deviceid', sortOrder: 'ASC' })
  })

  it('reads keys in any letter case', () => {
    const parsed = query({ PageSize: '10', PAGE: '2', SortOrder: 'desc', OrderBy: 'LastSeen' })
    expect(parsed.page).toBe(2)
    expect(parsed.pageSize).toBe(10)
    expect(parsed.sortOrder).toBe('DESC')
    expect(parsed.orderBy).toBe('lastseen')
  })

  it('caps the page size at 500', () => {
    expect(query({ pagesize: '1000' }).pageSize).toBe(MAX_PAGE_SIZE)
  })

  it('ignores unknown keys and empty values', () => {
    expect(query({ foo: 'bar', user: '' })).toEqual(query({}))
  })

  it.each([
    [{ page: '-1' }, 'page', '-1'],
    [{ pagesize: 'abc' }, 'pagesize', 'abc'],
    [{ pagesize: '0' }, 'pagesize', '0'],
    [{ lastseen: '2024-02-31' }, 'lastseen', '2024-02-31'],
    [{ seensince: 'yesterday' }, 'seensince', 'yesterday'],
    [{ ownership: 'X' }, 'ownership', 'X'],
    [{ compliantstatus: 'maybe' }, 'compliantstatus', 'maybe'],
    [{ lgid: 'root' }, 'lgid', 'root'],
    [{ orderby: 'color' }, 'orderby', 'color'],
    [{ sortorder: 'UP' }, 'sortorder', 'UP'],
  ])('rejects %j', (raw, field, value) => {
    const parsed = parseSearchQuery(raw, 1)
    expect(parsed.ok).toBe(false)
    if (parsed.ok) return
    expect(parsed.field).toBe(field)
    expect(parsed.value).toBe(value)
    expect(parsed.message).toContain(`"${value}"`)
  })

  it('reads v2 compliance_status and seen_since', () => {
    const parsed = query({ compliance_status: 'false', seen_since: '2024-05-01' }, 2)
    expect(parsed.complianceStatus).toBe('NonCompliant')
    expect(parsed.seenSince).toBe(Date.UTC(2024, 4, 1))
  })

  it('ignores the v1 compliance key in v2', () => {
    expect(query({ compliantstatus: 'true' }, 2).complianceStatus).toBeUndefined()
  })

  it('reads v3 key names and integer enumerations', () => {
    const parsed = query(
      { page_size: '5', model_identifier: 'TC52', device_type: '5', ownership: '2', compliance_status: '2', order_by: 'last_seen' },
      3,
    )
    expect(parsed.pageSize).toBe(5)
    expect(parsed.model).toBe('TC52')
    expect(parsed.platformId).toBe(5)
    expect(parsed.ownership).toBe('E')
    expect(parsed.complianceStatus).toBe('NonCompliant')
    expect(parsed.orderBy).toBe('lastseen')
  })
})

describe('parseLitesearchQuery', () => {
  it('reads seentill as the upper last-seen bound', () => {
    const parsed = parseLitesearchQuery({ seentill: '2024-05-01', organizationgroupid: '1210', deviceid: '7' })
    expect(parsed.ok).toBe(true)
    if (!parsed.ok) return
    expect(parsed.query.lastSeen).toBe(Date.UTC(2024, 4, 1))
    expect(parsed.query.groupId).toBe(1210)
    expect(parsed.query.deviceId).toBe(7)
  })
})

describe('renderSearch paging', () => {
  const store = makeStore()
  store.generate({ count: 1173, serialPrefix: 'FAKE' })

  it('pages from 0 and counts every match in Total', () => {
    const pages = [0, 1, 2].map((page) => searchBody(store, { page: String(page), pagesize: '500' }))
    expect(pages.map((body) => (body['Devices'] as unknown[]).length)).toEqual([500, 500, 173])
    for (const [index, body] of pages.entries()) {
      expect(body['Page']).toBe(index)
      expect(body['PageSize']).toBe(500)
      expect(body['Total']).toBe(1173)
    }
    expect(serialsOf(pages[2] as Record<string, unknown>).at(-1)).toBe('FAKE01173')
  })

  it('echoes the capped page size', () => {
    const result = renderSearch(store, query({ pagesize: '1000' }), 1)
    expect(result.status).toBe(200)
    if (result.status !== 200) return
    expect(result.pageSize).toBe(500)
    expect(JSON.parse(result.body.toString())['PageSize']).toBe(500)
  })

  it('returns 204 past the last page', () => {
    expect(renderSearch(store, query({ page: '3', pagesize: '500' }), 1).status).toBe(204)
  })

  it('returns 204 when nothing matches', () => {
    expect(renderSearch(store, query({ user: 'nobody-here' }), 2).status).toBe(204)
    expect(renderSearch(makeStore(), query({}), 1).status).toBe(204)
  })

  it('reuses the page buffer until the store changes', () => {
    const first = renderSearch(store, query({ pagesize: '50' }), 1)
    const second = renderSearch(store, query({ pagesize: '50' }), 1)
    expect(first.status).toBe(200)
    if (first.status !== 200 || second.status !== 200) return
    expect(second.body).toBe(first.body)

    const changed = store.devices()[0]
    if (changed === undefined) throw new Error('fleet is empty')
    store.setPolicy({ id: changed.id }, 'Encryption', { compliant: false })
    const third = renderSearch(store, query({ pagesize: '50' }), 1)
    expect(third.status).toBe(200)
    if (third.status !== 200) return
    expect(third.body).not.toBe(first.body)
    const firstDevice = (JSON.parse(third.body.toString())['Devices'] as Array<Record<string, unknown>>)[0]
    expect(firstDevice?.['ComplianceStatus']).toBe('NonCompliant')
  })

  it('shares one page across parameter orders', () => {
    const first = renderSearch(store, query({ ownership: 'C', platform: 'WinRT' }), 1)
    const second = renderSearch(store, query({ platform: 'WinRT', ownership: 'C' }), 1)
    expect(first.status).toBe(200)
    if (first.status !== 200 || second.status !== 200) return
    expect(second.body).toBe(first.body)
  })

  it('serves v1 and v2 with the same item keys', () => {
    const v1 = searchBody(store, { pagesize: '3' }, 1)
    const v2 = searchBody(store, { pagesize: '3' }, 2)
    expect(v2['Devices']).toEqual(v1['Devices'])
  })

  it('serves v3 with a snake_case envelope', () => {
    const body = searchBody(store, { page_size: '2', page: '1' }, 3)
    expect(Object.keys(body)).toEqual(['devices', 'page', 'page_size', 'total'])
    expect(body['page']).toBe(1)
    expect(body['page_size']).toBe(2)
    expect(body['total']).toBe(1173)
    expect(serialsOf(body, 'devices', 'serial_number')).toEqual(['FAKE00003', 'FAKE00004'])
  })
})

describe('renderSearch filters', () => {
  const store = makeStore()
  const windows = store.add({
    serialNumber: 'W1',
    platform: 'WinRT',
    model: 'Latitude 7420',
    ownership: 'C',
    userName: 'adele',
    lastSeen: '2024-05-19T10:00:00.000',
    policies: [{ name: 'Encryption' }],
  })
  const mac = store.add({
    serialNumber: 'M1',
    platform: 'AppleOsX',
    ownership: 'E',
    userName: 'bruno',
    lastSeen: '2024-05-01T10:00:00.000',
    policies: [{ name: 'Encryption', compliant: false }],
    organizationGroup: 'Sales',
  })
  const phone = store.add({
    serialNumber: 'P1',
    platform: 'Android',
    ownership: 'S',
    userName: 'Adele',
    lastSeen: '2024-04-01T10:00:00.000',
  })

  it.each([
    [{ user: 'ADELE' }, ['W1', 'P1']],
    [{ model: 'latitude 7420' }, ['W1']],
    [{ platform: 'appleosx' }, ['M1']],
    [{ ownership: 'e' }, ['M1']],
    [{ compliantstatus: 'false' }, ['M1']],
    [{ compliantstatus: 'true' }, ['W1', 'P1']],
    [{ seensince: '2024-05-01' }, ['W1', 'M1']],
    [{ lastseen: '2024-05-01 12:00:00.000' }, ['M1', 'P1']],
    [{ lgid: String(ROOT.id) }, ['W1', 'M1', 'P1']],
    [{ orderby: 'lastseen' }, ['P1', 'M1', 'W1']],
    [{ orderby: 'platform', sortorder: 'DESC' }, ['W1', 'M1', 'P1']],
    [{ sortorder: 'DESC' }, ['P1', 'M1', 'W1']],
  ])('filters %j', (raw, expected) => {
    expect(serialsOf(searchBody(store, raw))).toEqual(expected)
  })

  it('filters by a child organization group', () => {
    expect(serialsOf(searchBody(store, { lgid: String(mac.group.id) }))).toEqual(['M1'])
    expect(renderSearch(store, query({ lgid: '999999' }), 1).status).toBe(204)
  })

  it('filters v3 by group uuid and device type', () => {
    const body = searchBody(store, { organization_group_uuid: mac.group.uuid }, 3)
    expect(serialsOf(body, 'devices', 'serial_number')).toEqual(['M1'])
    const phones = searchBody(store, { device_type: String(phone.platformId) }, 3)
    expect(serialsOf(phones, 'devices', 'serial_number')).toEqual(['P1'])
  })

  it('renders litesearch with v1 Device items', () => {
    const parsed = parseLitesearchQuery({ deviceid: String(windows.id) })
    if (!parsed.ok) throw new Error(parsed.message)
    const result = renderLitesearch(store, parsed.query)
    expect(result.status).toBe(200)
    if (result.status !== 200) return
    const body = JSON.parse(result.body.toString()) as { Devices: Array<Record<string, unknown>>; Total: number }
    expect(body.Total).toBe(1)
    expect(body.Devices[0]?.['SerialNumber']).toBe('W1')
    expect(body.Devices[0]).not.toHaveProperty('EasIds')
  })
})

describe('single-device renders', () => {
  const store = makeStore()
  const device = store.add({
    serialNumber: 'ONE1',
    platform: 'Apple',
    policies: [
      { name: 'Encryption', compliant: true, lastCheck: '2024-05-19T10:00:00.000' },
      { name: 'Passcode', pending: true, lastCheck: '2024-05-19T11:00:00.000' },
      { name: 'OS Version', compliant: false, lastCheck: '2024-05-19T09:00:00.000' },
    ],
  })

  it('pages the compliance list', () => {
    const body = JSON.parse(renderCompliance(device, 1, 2).toString()) as Record<string, unknown>
    expect(body['Page']).toBe(1)
    expect(body['PageSize']).toBe(2)
    expect(body['Total']).toBe(3)
    const entries = body['DeviceCompliance'] as Array<Record<string, unknown>>
    expect(entries.map((entry) => entry['PolicyName'])).toEqual(['OS Version'])
    expect(body['OverallCompliantStatus']).toBe('NonCompliant')
  })

  it('marks pending policies in the compliance list', () => {
    const body = JSON.parse(renderCompliance(device, 0, 500).toString()) as Record<string, unknown>
    const pending = (body['DeviceCompliance'] as Array<Record<string, unknown>>)[1]
    expect(pending?.['CompliancePending']).toBe(true)
    expect(pending?.['CompliantStatus']).toBe(false)
  })

  it('renders the search-by compliance shape without an overall status', () => {
    const body = JSON.parse(renderComplianceBySearch(device).toString()) as Record<string, unknown>
    expect(Object.keys(body)).toEqual(['DeviceCompliance', 'Page', 'PageSize', 'Total'])
  })

  it('renders security from the device', () => {
    const body = JSON.parse(renderSecurity(device).toString()) as Record<string, unknown>
    expect(body['IsCompromised']).toBe(false)
    expect(typeof body['IsEncrypted']).toBe('boolean')
  })

  it('renders each device shape', () => {
    const v1 = JSON.parse(renderDevice(device, 'v1', { baseUrl: 'http://127.0.0.1:1/API' }).toString())
    const v2 = JSON.parse(renderDevice(device, 'v2', { baseUrl: 'http://127.0.0.1:1/API' }).toString())
    const v3 = JSON.parse(renderDevice(device, 'v3', { baseUrl: 'http://127.0.0.1:1' }).toString())
    expect(v1['Id']).toEqual({ Value: device.id })
    expect(v2['Links']).toEqual([{ Rel: 'self', Href: `http://127.0.0.1:1/API/mdm/devices/${device.uuid}` }])
    expect(v3['Links']).toEqual([{ Rel: 'self', Href: `http://127.0.0.1:1/API/mdm/devices/${device.uuid}` }])
    expect(v3['id']).toBe(device.id)
  })

  it('returns every record of the bulk serials', () => {
    store.reenroll({ id: device.id })
    const body = renderBulkBySerial(store, ['ONE1', 'MISSING'])
    expect(body).not.toBeNull()
    const parsed = JSON.parse((body as Buffer).toString()) as { Devices: Array<Record<string, unknown>>; Total: number }
    expect(parsed.Total).toBe(2)
    expect(renderBulkBySerial(store, ['MISSING'])).toBeNull()
  })
})
