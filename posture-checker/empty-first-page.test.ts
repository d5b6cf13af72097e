/**
 * An empty page 0 (204, or 200 with Total 0 and no Devices) after a complete
 * sync that saw records: one retry of page 0, then an incomplete poll that
 * carries the earlier results. A tenant empty from the start stays a valid
 * empty fleet.
 */
import nock from 'nock'
import pino from 'pino'

import { PostureChecker } from './index'
import { ManualClock, createTrackingFetch, drive } from './test-clock'
import { API_ORIGIN, AUTH_ORIGIN, makeConfig, makeDevice, makeRule, searchPage, ws1Device } from './test-support'
import type { CheckerOptions, CloudflareDevice, PollOutcome } from './types'
import { useOfflineNock } from '../test/offline-nock'

const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' }
const SEARCH = '/API/mdm/devices/search'
const EMPTY_ENVELOPE = { Devices: [], Page: 0, PageSize: 500, Total: 0 }

const devices: CloudflareDevice[] = [makeDevice('d-1', 'EMPTY0001'), makeDevice('d-2', 'EMPTY0002')]
const records = [ws1Device(1, 'EMPTY0001'), ws1Device(2, 'EMPTY0002', { ComplianceStatus: 'NonCompliant', ComplianceSummary: undefined })]

function createChecker(options: CheckerOptions = {}, expiration?: string) {
  const clock = new ManualClock()
  const tracking = createTrackingFetch()
  const rules = [makeRule(expiration === undefined ? {} : { expiration })]
  const checker = new PostureChecker(makeConfig(devices, rules), { clock, fetch: tracking.fetch, ...options })
  return { clock, checker, poll: (): Promise<PollOutcome> => drive(clock, tracking.inFlight, checker.poll()) }
}

function tokenOk(): void {
  nock(AUTH_ORIGIN).post('/connect/token').reply(200, { access_token: 'token-1', expires_in: 86_400 }, JSON_TYPE)
}

function page0(): nock.Interceptor {
  return nock(API_ORIGIN).get(SEARCH).query({ page: '0', pagesize: '500' })
}

function serveRecords(): void {
  page0().reply(200, searchPage(records, 0, 500, records.length), JSON_TYPE)
}

function summary(outcome: PollOutcome): Record<string, { status: string; reason: string; fresh: boolean; pass: boolean }> {
  return Object.fromEntries(
    outcome.results.map((result) => [
      result.DeviceID,
      { status: result.status, reason: result.reason, fresh: result.fresh, pass: result.PostureEvaluatedResult },
    ]),
  )
}

useOfflineNock()

describe('empty page 0 after a sync with records', () => {
  test('transient 204 is retried and completes', async () => {
    tokenOk()
    serveRecords()
    const { poll } = createChecker()
    await poll()
    page0().reply(204)
    serveRecords()
    const outcome = await poll()
    expect(outcome.complete).toBe(true)
    expect(outcome.pages).toBe(2)
    expect(outcome.ws1Records).toBe(2)
    expect(summary(outcome)['d-1']).toEqual({ status: 'compliant', reason: 'all_flags_pass', fresh: true, pass: true })
    expect(nock.isDone()).toBe(true)
  })

  test('persistent 204 ends the poll as incomplete', async () => {
    tokenOk()
    serveRecords()
    const { poll } = createChecker()
    await poll()
    page0().times(2).reply(204)
    const outcome = await poll()
    expect(outcome.complete).toBe(false)
    expect(outcome.pages).toBe(2)
    expect(outcome.error).toMatchObject({ kind: 'schema', code: 'empty_after_records' })
    expect(outcome.error?.message).toContain('the last complete sync returned 2 records')
    expect(nock.isDone()).toBe(true)
  })

  test('persistent 204 carries earlier results as stale', async () => {
    tokenOk()
    serveRecords()
    const { poll } = createChecker()
    await poll()
    page0().times(2).reply(204)
    const outcome = await poll()
    expect(summary(outcome)).toEqual({
      'd-1': { status: 'compliant', reason: 'all_flags_pass', fresh: false, pass: true },
      'd-2': { status: 'noncompliant', reason: 'not_compliant_status', fresh: false, pass: false },
    })
  })

  test('carried results expire after the rule expiration', async () => {
    tokenOk()
    serveRecords()
    const { poll, clock } = createChecker({}, '10m')
    await poll()
    clock.advance(5 * 60_000)
    page0().times(2).reply(204)
    const stale = await poll()
    expect(stale.results[0]).toMatchObject({ fresh: false, PostureEvaluatedResult: true, reason: 'all_flags_pass' })
    clock.advance(10 * 60_000)
    page0().times(2).reply(204)
    const expired = await poll()
    expect(expired.complete).toBe(false)
    expect(expired.results[0]).toMatchObject({ fresh: false, PostureEvaluatedResult: false, reason: 'expired' })
  })

  test('200 with Total 0 twice is incomplete', async () => {
    tokenOk()
    serveRecords()
    const { poll } = createChecker()
    await poll()
    page0().times(2).reply(200, EMPTY_ENVELOPE, JSON_TYPE)
    const outcome = await poll()
    expect(outcome.complete).toBe(false)
    expect(outcome.error).toMatchObject({ kind: 'schema', code: 'empty_after_records' })
    expect(outcome.error?.message).toContain('200 with Total 0')
  })

  test('200 with Total 0 then records completes', async () => {
    tokenOk()
    serveRecords()
    const { poll } = createChecker()
    await poll()
    page0().reply(200, EMPTY_ENVELOPE, JSON_TYPE)
    serveRecords()
    const outcome = await poll()
    expect(outcome.complete).toBe(true)
    expect(outcome.ws1Records).toBe(2)
  })

  test('retry is logged as a warning with fields', async () => {
    const lines: Array<Record<string, unknown>> = []
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) })
    tokenOk()
    serveRecords()
    const { poll } = createChecker({ logger })
    await poll()
    page0().reply(204)
    serveRecords()
    await poll()
    const warning = lines.find((line) => String(line['msg']).startsWith('empty first page'))
    expect(warning).toMatchObject({ level: 40, page: 0, status: 204, lastSyncRecords: 2 })
  })
})

describe('empty page 0 without records before', () => {
  test('204 on the first poll is an empty fleet', async () => {
    tokenOk()
    page0().reply(204)
    const { poll } = createChecker()
    const outcome = await poll()
    expect(outcome.complete).toBe(true)
    expect(outcome.pages).toBe(1)
    expect(summary(outcome)['d-1']).toEqual({ status: 'unknown', reason: 'not_found', fresh: true, pass: false })
  })

  test('tenant empty on every poll never retries', async () => {
    tokenOk()
    page0().times(3).reply(204)
    const { poll } = createChecker()
    const outcomes = [await poll(), await poll(), await poll()]
    expect(outcomes.map((outcome) => outcome.complete)).toEqual([true, true, true])
    expect(outcomes.map((outcome) => outcome.pages)).toEqual([1, 1, 1])
  })

  test('200 with Total 0 on the first poll is an empty fleet', async () => {
    tokenOk()
    page0().reply(200, EMPTY_ENVELOPE, JSON_TYPE)
    const { poll } = createChecker()
    const outcome = await poll()
    expect(outcome.complete).toBe(true)
    expect(outcome.ws1Records).toBe(0)
  })

  test('failed first poll leaves no records to compare', async () => {
    tokenOk()
    page0().reply(200, { Items: [] }, JSON_TYPE)
    page0().reply(204)
    const { poll } = createChecker()
    expect((await poll()).complete).toBe(false)
    const outcome = await poll()
    expect(outcome.complete).toBe(true)
    expect(outcome.pages).toBe(1)
  })
})

test('a new API URL forgets the record count of the old tenant', async () => {
  const otherOrigin = 'https://other.ws1.test'
  tokenOk()
  serveRecords()
  const { checker, poll } = createChecker()
  await poll()
  const integration = makeConfig(devices, [makeRule()]).integration
  checker.updateIntegration({ ...integration, config: { ...integration.config, api_url: `${otherOrigin}/API` } })
  tokenOk()
  nock(otherOrigin).get(SEARCH).query(true).reply(204)

  const outcome = await poll()

  expect(outcome.complete).toBe(true)
  expect(outcome.requests).toBe(2)
})
