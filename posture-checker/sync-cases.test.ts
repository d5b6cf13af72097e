/**
 * Real-world cases that need the paged sync across several polls: a capped
 * page size, premature ends, token expiry, transient and persistent 5xx, a
 * large fleet and unexpected API versions.
 */
import nock from 'nock'

import { PostureChecker } from './index'
import { ManualClock, createTrackingFetch, drive } from './test-clock'
import { API_ORIGIN, AUTH_ORIGIN, makeConfig, makeDevice, searchPage, ws1Device } from './test-support'
import type { CheckerOptions, CloudflareDevice, PollOutcome } from './types'
import { useOfflineNock } from '../test/offline-nock'

const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' }
const HTML_TYPE = { 'content-type': 'text/html; charset=utf-8' }
const SEARCH = '/API/mdm/devices/search'

function serial(index: number): string {
  return `FAKE${String(index).padStart(5, '0')}`
}

/** Builds `count` records with ids 1..count. Ids selected by `nonCompliant` get NonCompliant without flags. */
function fleet(count: number, nonCompliant: (id: number) => boolean = () => false): Array<Record<string, unknown>> {
  return Array.from({ length: count }, (_, index) => {
    const id = index + 1
    return nonCompliant(id)
      ? ws1Device(id, serial(id), { ComplianceStatus: 'NonCompliant', ComplianceSummary: undefined })
      : ws1Device(id, serial(id))
  })
}

/** Serves `records` like Workspace ONE: at most `cap` per page, 204 past the end. */
function serveFleet(records: Array<Record<string, unknown>>, cap = 500, times = 1): void {
  nock(API_ORIGIN)
    .get(SEARCH)
    .query(true)
    .times(times * (Math.ceil(records.length / cap) + 1))
    .reply((uri) => {
      const params = new URL(uri, API_ORIGIN).searchParams
      const page = Number(params.get('page'))
      const size = Math.min(cap, Number(params.get('pagesize') ?? cap))
      const slice = records.slice(page * size, (page + 1) * size)
      if (slice.length === 0) return [204, '']
      return [200, searchPage(slice, page, size, records.length), JSON_TYPE]
    })
}

function tokens(times: number, expiresIn = 3600): void {
  let issued = 0
  nock(AUTH_ORIGIN)
    .post('/connect/token')
    .times(times)
    .reply(200, () => ({ access_token: `token-${++issued}`, expires_in: expiresIn }), JSON_TYPE)
}

function createChecker(devices: CloudflareDevice[], options: CheckerOptions = {}) {
  const clock = new ManualClock()
  const tracking = createTrackingFetch()
  const checker = new PostureChecker(makeConfig(devices), { clock, fetch: tracking.fetch, ...options })
  return { clock, checker, poll: (): Promise<PollOutcome> => drive(clock, tracking.inFlight, checker.poll()) }
}

function byDevice(outcome: PollOutcome): Record<string, { status: string; reason: string; fresh: boolean }> {
  return Object.fromEntries(
    outcome.results.map((result) => [result.DeviceID, { status: result.status, reason: result.reason, fresh: result.fresh }]),
  )
}

useOfflineNock()

const bug02Devices = [makeDevice('d-0001', serial(1)), makeDevice('d-0700', serial(700)), makeDevice('d-1173', serial(1173))]

test('BUG-02 capped page size still reaches Total', async () => {
  tokens(1)
  serveFleet(fleet(1173, (id) => id === 1173), 500)
  const { poll } = createChecker(bug02Devices, { pageSize: 1000 })
  const outcome = await poll()
  expect(outcome.complete).toBe(true)
  expect(outcome.pages).toBe(3)
  expect(outcome.ws1Records).toBe(1173)
  expect(byDevice(outcome)).toEqual({
    'd-0001': { status: 'compliant', reason: 'all_flags_pass', fresh: true },
    'd-0700': { status: 'compliant', reason: 'all_flags_pass', fresh: true },
    'd-1173': { status: 'noncompliant', reason: 'not_compliant_status', fresh: true },
  })
})

test('BUG-02 premature 204 keeps earlier results', async () => {
  tokens(1)
  const records = fleet(1173, (id) => id === 1173)
  serveFleet(records, 500)
  const { poll } = createChecker(bug02Devices)
  await poll()
  nock.cleanAll()
  // Second poll: page 0 returns records, page 1 returns 204 on both tries.
  nock(API_ORIGIN).get(SEARCH).query({ page: '0', pagesize: '500' }).reply(200, searchPage(records.slice(0, 500), 0, 500, 1173), JSON_TYPE)
  nock(API_ORIGIN).get(SEARCH).query({ page: '1', pagesize: '500' }).times(2).reply(204)
  const outcome = await poll()
  expect(outcome.complete).toBe(false)
  expect(outcome.error?.code).toBe('premature_end')
  expect(byDevice(outcome)).toEqual({
    'd-0001': { status: 'compliant', reason: 'all_flags_pass', fresh: false },
    'd-0700': { status: 'compliant', reason: 'all_flags_pass', fresh: false },
    'd-1173': { status: 'noncompliant', reason: 'not_compliant_status', fresh: false },
  })
})

test('BUG-05 token expiry mid-sync refreshes and finishes', async () => {
  tokens(2)
  const records = fleet(1500)
  nock(API_ORIGIN)
    .get(SEARCH)
    .query({ page: '0', pagesize: '500' })
    .matchHeader('authorization', 'Bearer token-1')
    .reply(200, searchPage(records.slice(0, 500), 0, 500, 1500), JSON_TYPE)
  // The token expired while page 0 was processed.
  nock(API_ORIGIN).get(SEARCH).query({ page: '1', pagesize: '500' }).matchHeader('authorization', 'Bearer token-1').reply(401, '')
  for (const page of [1, 2]) {
    nock(API_ORIGIN)
      .get(SEARCH)
      .query({ page: String(page), pagesize: '500' })
      .matchHeader('authorization', 'Bearer token-2')
      .reply(200, searchPage(records.slice(page * 500, (page + 1) * 500), page, 500, 1500), JSON_TYPE)
  }
  const { poll } = createChecker([makeDevice('d-1400', serial(1400))])
  const outcome = await poll()
  expect(outcome.complete).toBe(true)
  expect(outcome.results[0]).toMatchObject({ status: 'compliant', matchedWs1Id: 1400 })
})

test('BUG-05 wrong tenant code keeps results and never refreshes', async () => {
  tokens(1)
  serveFleet(fleet(3), 500)
  const { poll } = createChecker([makeDevice('d-1', serial(1))], { tenantCode: 'WRONGKEY' })
  await poll()
  nock.cleanAll()
  nock(API_ORIGIN)
    .get(SEARCH)
    .query(true)
    .reply(403, { errorCode: 1013, message: 'Tenant code WRONGKEY does not identify an Organization Group.', activityId: '0' }, JSON_TYPE)
  const outcome = await poll()
  expect(outcome.error).toMatchObject({ kind: 'config', code: '1013' })
  expect(outcome.requests).toBe(1)
  expect(outcome.results[0]).toMatchObject({ status: 'compliant', fresh: false, PostureEvaluatedResult: true })
})

test('BUG-06 transient 504 HTML page is retried', async () => {
  tokens(1)
  const records = fleet(1200)
  nock(API_ORIGIN).get(SEARCH).query({ page: '1', pagesize: '500' }).reply(504, "<!DOCTYPE html><html><body><h1>Server Error in '/API' Application.</h1></body></html>", HTML_TYPE)
  serveFleet(records, 500)
  const { poll } = createChecker([makeDevice('d-0100', serial(100)), makeDevice('d-0900', serial(900))])
  const outcome = await poll()
  expect(outcome.complete).toBe(true)
  expect(byDevice(outcome)).toEqual({
    'd-0100': { status: 'compliant', reason: 'all_flags_pass', fresh: true },
    'd-0900': { status: 'compliant', reason: 'all_flags_pass', fresh: true },
  })
})

test('BUG-06 persistent 504 keeps earlier results', async () => {
  tokens(1)
  const records = fleet(1200, (id) => id === 900)
  serveFleet(records, 500)
  const { poll } = createChecker([makeDevice('d-0100', serial(100)), makeDevice('d-0900', serial(900))])
  await poll()
  nock.cleanAll()
  nock(API_ORIGIN).get(SEARCH).query({ page: '0', pagesize: '500' }).reply(200, searchPage(records.slice(0, 500), 0, 500, 1200), JSON_TYPE)
  nock(API_ORIGIN).get(SEARCH).query({ page: '1', pagesize: '500' }).times(4).reply(504, '<html><body>Gateway Timeout</body></html>', HTML_TYPE)
  const outcome = await poll()
  expect(outcome.complete).toBe(false)
  expect(outcome.error).toMatchObject({ kind: 'provider', code: 'http_504' })
  expect(byDevice(outcome)).toEqual({
    'd-0100': { status: 'compliant', reason: 'all_flags_pass', fresh: false },
    'd-0900': { status: 'noncompliant', reason: 'not_compliant_status', fresh: false },
  })
})

test('BUG-08 large fleet costs one request per page', async () => {
  tokens(1)
  const count = 6000
  serveFleet(fleet(count, (id) => id % 20 === 0), 500)
  const devices = Array.from({ length: count }, (_, index) => makeDevice(`d-${index + 1}`, serial(index + 1)))
  const { poll } = createChecker(devices, { serialLookupThreshold: 10 })
  const outcome = await poll()
  expect(outcome.complete).toBe(true)
  expect(outcome.pages).toBe(12)
  expect(outcome.requests).toBe(13)
  const statuses = outcome.results.map((result) => result.status)
  expect(statuses.filter((status) => status === 'compliant')).toHaveLength(5700)
  expect(statuses.filter((status) => status === 'noncompliant')).toHaveLength(300)
})

describe('BUG-18 response shape must match the version', () => {
  test('pinned version 2 reads the record', async () => {
    tokens(1)
    nock(API_ORIGIN)
      .get(SEARCH)
      .query(true)
      .matchHeader('accept', 'application/json;version=2')
      .reply(200, searchPage([ws1Device(1, 'FAKEVER01', { ComplianceStatus: 'NonCompliant', ComplianceSummary: undefined })], 0, 500, 1), JSON_TYPE)
    const { poll } = createChecker([makeDevice('d-v', 'FAKEVER01', 'mac')])
    expect((await poll()).results[0]).toMatchObject({ status: 'noncompliant', reason: 'not_compliant_status' })
  })

  test('v3 envelope is a schema error', async () => {
    tokens(1)
    nock(API_ORIGIN)
      .get(SEARCH)
      .query(true)
      .reply(200, { devices: [{ serial_number: 'FAKEVER01' }], page: 0, page_size: 500, total: 1 }, JSON_TYPE)
    const { poll } = createChecker([makeDevice('d-v', 'FAKEVER01', 'mac')])
    const outcome = await poll()
    expect(outcome.error).toMatchObject({ kind: 'schema', code: 'unexpected_version' })
    expect(outcome.results[0]).toMatchObject({ status: 'unknown', reason: 'sync_incomplete', PostureEvaluatedResult: false })
  })

  test('406 is a config error', async () => {
    tokens(1)
    nock(API_ORIGIN).get(SEARCH).query(true).reply(406, '')
    const { poll } = createChecker([makeDevice('d-v', 'FAKEVER01', 'mac')])
    expect((await poll()).error).toMatchObject({ kind: 'config', code: 'not_acceptable' })
  })

  test('200 without Devices is never zero devices', async () => {
    tokens(1)
    nock(API_ORIGIN).get(SEARCH).query(true).reply(200, { Items: [] }, JSON_TYPE)
    const { poll } = createChecker([makeDevice('d-v', 'FAKEVER01', 'mac')])
    const outcome = await poll()
    expect(outcome.complete).toBe(false)
    expect(outcome.results[0]!.reason).not.toBe('not_found')
  })
})
