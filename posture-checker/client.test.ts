/**
 * Client duties against nock-mocked Workspace ONE endpoints: tokens,
 * retries, timeouts, paging and error mapping. Time is a manual clock.
 */
import nock from 'nock'
import { Readable } from 'node:stream'

import { PostureChecker } from './index'
import { ManualClock, createTrackingFetch, drive } from './test-clock'
import { API_ORIGIN, AUTH_ORIGIN, makeConfig, makeDevice, searchPage, ws1Device } from './test-support'
import type { CheckerOptions, CloudflareDevice, PollOutcome } from './types'
import { useOfflineNock } from '../test/offline-nock'

const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' }
const HTML_PAGE = "<!DOCTYPE html><html><body><h1>Server Error in '/API' Application.</h1></body></html>"
const SEARCH = '/API/mdm/devices/search'

function setup(devices: CloudflareDevice[] = [makeDevice('d1', 'SER001')], options: CheckerOptions = {}) {
  const clock = new ManualClock()
  const tracking = createTrackingFetch()
  const checker = new PostureChecker(makeConfig(devices), { clock, fetch: tracking.fetch, seed: 7, ...options })
  const poll = (advanceDuringRequests = false): Promise<PollOutcome> =>
    drive(clock, tracking.inFlight, checker.poll(), { advanceDuringRequests })
  const testConnection = () => drive(clock, tracking.inFlight, checker.testConnection())
  return { clock, checker, poll, testConnection }
}

function tokenOk(times = 1, expiresIn = 3600): nock.Scope {
  let issued = 0
  return nock(AUTH_ORIGIN)
    .post('/connect/token')
    .times(times)
    .reply(200, () => ({ access_token: `token-${++issued}`, token_type: 'Bearer', expires_in: expiresIn }), JSON_TYPE)
}

function searchAt(page: number, pageSize = 500): nock.Interceptor {
  return nock(API_ORIGIN).get(SEARCH).query({ page: String(page), pagesize: String(pageSize) })
}

function statusesOf(outcome: PollOutcome): Record<string, string> {
  return Object.fromEntries(outcome.results.map((result) => [result.DeviceID, result.status]))
}

useOfflineNock()

describe('token handling', () => {
  test('sends client credentials in the form body', async () => {
    let form = ''
    nock(AUTH_ORIGIN)
      .post('/connect/token', (body: unknown) => {
        form = new URLSearchParams(body as Record<string, string>).toString()
        return true
      })
      .reply(200, { access_token: 'token-1', expires_in: 3600 }, JSON_TYPE)
    searchAt(0).reply(204)
    const { poll } = setup()
    const outcome = await poll()
    expect(outcome.complete).toBe(true)
    expect(form).toContain('grant_type=client_credentials')
    expect(form).toContain('client_id=client-1')
    expect(form).toContain('client_secret=secret-1')
  })

  test('refreshes the token before expiry', async () => {
    tokenOk(2, 600)
    const authHeaders: string[] = []
    nock(API_ORIGIN)
      .get(SEARCH)
      .query(true)
      .times(3)
      .reply(function () {
        authHeaders.push(String(this.req.headers['authorization']))
        return [204, '']
      })
    const { poll, clock } = setup()
    await poll()
    clock.advance(500_000)
    await poll()
    clock.advance(60_000)
    await poll()
    // 560 s after issue the token is inside the 60 s skew of its 600 s lifetime.
    expect(authHeaders).toEqual(['Bearer token-1', 'Bearer token-1', 'Bearer token-2'])
  })

  test('401 then one refresh and retry', async () => {
    tokenOk(2)
    searchAt(0).matchHeader('authorization', 'Bearer token-1').reply(401, { errorCode: 1005, message: 'expired' }, JSON_TYPE)
    searchAt(0)
      .matchHeader('authorization', 'Bearer token-2')
      .reply(200, searchPage([ws1Device(1, 'SER001')], 0, 500, 1), JSON_TYPE)
    const { poll } = setup()
    const outcome = await poll()
    expect(outcome.complete).toBe(true)
    expect(outcome.requests).toBe(4)
    expect(statusesOf(outcome)).toEqual({ d1: 'compliant' })
  })

  test('second 401 ends the poll as auth error', async () => {
    tokenOk(2)
    searchAt(0).times(2).reply(401, { errorCode: 1005, message: 'bad token' }, JSON_TYPE)
    const { poll } = setup()
    const outcome = await poll()
    expect(outcome.complete).toBe(false)
    expect(outcome.error?.kind).toBe('auth')
    expect(outcome.requests).toBe(4)
  })

  test('invalid_client is an auth error without retries', async () => {
    nock(AUTH_ORIGIN).post('/connect/token').reply(400, { error: 'invalid_client' }, JSON_TYPE)
    const { poll, clock } = setup()
    const outcome = await poll()
    expect(outcome.error).toMatchObject({ kind: 'auth', code: 'invalid_client' })
    expect(outcome.requests).toBe(1)
    expect(clock.sleeps.filter((ms) => ms !== 30_000)).toEqual([])
    expect(outcome.results[0]).toMatchObject({ status: 'unknown', reason: 'provider_error', PostureEvaluatedResult: false })
  })

  test('token response without access_token is a schema error', async () => {
    nock(AUTH_ORIGIN).post('/connect/token').reply(200, { token_type: 'Bearer' }, JSON_TYPE)
    const { poll } = setup()
    const outcome = await poll()
    expect(outcome.error).toMatchObject({ kind: 'schema', code: 'no_access_token' })
  })
})

describe('error mapping', () => {
  test('403 with errorCode 1013 is a config error, no retry', async () => {
    tokenOk()
    searchAt(0).reply(
      403,
      { errorCode: 1013, message: 'Tenant code WRONGKEY does not identify an Organization Group.', activityId: 'x' },
      JSON_TYPE,
    )
    const { poll } = setup()
    const outcome = await poll()
    expect(outcome.error).toMatchObject({ kind: 'config', code: '1013' })
    expect(outcome.requests).toBe(2)
  })

  test('errorCode given as a string is read too', async () => {
    tokenOk()
    searchAt(0).reply(403, { errorCode: '1013', message: 'Tenant code XYZ does not identify an Organization Group.' }, JSON_TYPE)
    const { poll } = setup()
    expect((await poll()).error).toMatchObject({ kind: 'config', code: '1013' })
  })

  test('406 is a config error', async () => {
    tokenOk()
    searchAt(0).reply(406, '')
    const { poll } = setup()
    expect((await poll()).error).toMatchObject({ kind: 'config', code: 'not_acceptable' })
  })

  test('sends the tenant code only when configured', async () => {
    tokenOk()
    searchAt(0).matchHeader('aw-tenant-code', 'KEY1').reply(204)
    const { poll } = setup(undefined, { tenantCode: 'KEY1' })
    expect((await poll()).complete).toBe(true)
  })

  test('asks for version 2 by default', async () => {
    tokenOk()
    searchAt(0).matchHeader('accept', 'application/json;version=2').reply(204)
    const { poll } = setup()
    expect((await poll()).complete).toBe(true)
  })
})

describe('retries', () => {
  test('500 then recovery', async () => {
    tokenOk()
    searchAt(0).reply(500, { errorCode: 1, message: 'oops' }, JSON_TYPE)
    searchAt(0).reply(200, searchPage([ws1Device(1, 'SER001')], 0, 500, 1), JSON_TYPE)
    const { poll, clock } = setup(undefined, { baseBackoffMs: 1000 })
    const outcome = await poll()
    expect(outcome.complete).toBe(true)
    const backoffs = clock.sleeps.filter((ms) => ms !== 30_000)
    expect(backoffs).toHaveLength(1)
    expect(backoffs[0]).toBeGreaterThanOrEqual(500)
    expect(backoffs[0]).toBeLessThanOrEqual(1000)
  })

  test('jitter repeats for the same seed', async () => {
    const run = async (): Promise<number[]> => {
      tokenOk()
      searchAt(0).times(3).reply(503, '')
      searchAt(0).reply(204)
      const { poll, clock } = setup(undefined, { seed: 99 })
      await poll()
      return clock.sleeps.filter((ms) => ms !== 30_000)
    }
    const first = await run()
    nock.cleanAll()
    const second = await run()
    expect(first).toHaveLength(3)
    expect(second).toEqual(first)
  })

  test('exhausted 5xx with HTML ends as provider error', async () => {
    tokenOk()
    searchAt(0).times(4).reply(504, HTML_PAGE, { 'content-type': 'text/html; charset=utf-8' })
    const { poll } = setup()
    const outcome = await poll()
    expect(outcome.error).toMatchObject({ kind: 'provider', code: 'http_504' })
    expect(outcome.requests).toBe(5)
  })

  test('429 honours Retry-After seconds', async () => {
    tokenOk()
    searchAt(0).reply(429, '', { 'retry-after': '7' })
    searchAt(0).reply(204)
    const { poll, clock } = setup()
    const started = clock.now()
    const outcome = await poll()
    expect(outcome.complete).toBe(true)
    expect(clock.sleeps).toContain(7000)
    expect(outcome.finishedAt - started).toBe(7000)
  })

  test('429 honours Retry-After HTTP-date', async () => {
    tokenOk()
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 12, 0, 0))
    const retryAt = new Date(Date.UTC(2026, 0, 1, 12, 0, 42)).toUTCString()
    searchAt(0).reply(429, '', { 'retry-after': retryAt })
    searchAt(0).reply(204)
    const tracking = createTrackingFetch()
    const checker = new PostureChecker(makeConfig([makeDevice('d1', 'SER001')]), { clock, fetch: tracking.fetch })
    const outcome = await drive(clock, tracking.inFlight, checker.poll())
    expect(outcome.complete).toBe(true)
    expect(clock.sleeps).toContain(42_000)
  })

  test('Retry-After beyond the limit ends the poll as quota', async () => {
    tokenOk()
    searchAt(0).reply(429, '', { 'retry-after': '3600' })
    const { poll } = setup(undefined, { maxRetryAfterMs: 60_000 })
    const outcome = await poll()
    expect(outcome.error).toMatchObject({ kind: 'quota' })
    expect(outcome.requests).toBe(2)
  })

  test('connection reset then recovery', async () => {
    tokenOk()
    searchAt(0).replyWithError({ code: 'ECONNRESET', message: 'socket hang up' })
    searchAt(0).reply(204)
    const { poll } = setup()
    expect((await poll()).complete).toBe(true)
  })

  test('truncated body is retried', async () => {
    tokenOk()
    searchAt(0).reply(200, '{"Devices":[', { ...JSON_TYPE, 'content-length': '400' })
    searchAt(0).reply(
      200,
      () =>
        new Readable({
          read() {
            this.push('{"Devices":[{"Ser')
            this.destroy(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }))
          },
        }),
      JSON_TYPE,
    )
    searchAt(0).reply(200, searchPage([ws1Device(1, 'SER001')], 0, 500, 1), JSON_TYPE)
    const { poll } = setup()
    const outcome = await poll()
    expect(outcome.complete).toBe(true)
    expect(outcome.requests).toBe(4)
    expect(statusesOf(outcome)).toEqual({ d1: 'compliant' })
  })

  test('malformed JSON is retried, then a schema error', async () => {
    tokenOk()
    searchAt(0).times(4).reply(200, '{"Devices": [}', JSON_TYPE)
    const { poll } = setup()
    const outcome = await poll()
    expect(outcome.error).toMatchObject({ kind: 'schema', code: 'malformed_json' })
    expect(outcome.requests).toBe(5)
  })

  test('request timeout aborts and retries', async () => {
    tokenOk()
    searchAt(0).delay(600_000).reply(204)
    searchAt(0).reply(200, searchPage([ws1Device(1, 'SER001')], 0, 500, 1), JSON_TYPE)
    const { poll, clock } = setup(undefined, { requestTimeoutMs: 5_000 })
    const started = clock.now()
    const outcome = await poll(true)
    expect(outcome.complete).toBe(true)
    expect(outcome.requests).toBe(3)
    expect(outcome.finishedAt - started).toBeGreaterThanOrEqual(5_000)
  })

  test('timeouts on every attempt end as provider error', async () => {
    tokenOk()
    searchAt(0).times(2).delay(600_000).reply(204)
    const { poll } = setup(undefined, { requestTimeoutMs: 5_000, maxAttempts: 2 })
    const outcome = await poll(true)
    expect(outcome.error).toMatchObject({ kind: 'provider', code: 'timeout' })
  })
})

describe('response bodies', () => {
  test('HTML 200 is a schema error, never parsed', async () => {
    tokenOk()
    searchAt(0).reply(200, HTML_PAGE, { 'content-type': 'text/html; charset=utf-8' })
    const { poll } = setup()
    const outcome = await poll()
    expect(outcome.error).toMatchObject({ kind: 'schema', code: 'html_body' })
    expect(outcome.requests).toBe(2)
  })

  test('JSON body with a text content type is rejected', async () => {
    tokenOk()
    searchAt(0).reply(200, JSON.stringify(searchPage([], 0, 500, 0)), { 'content-type': 'text/plain' })
    const { poll } = setup()
    expect((await poll()).error).toMatchObject({ kind: 'schema', code: 'not_json' })
  })

  test('accepts a versioned JSON content type', async () => {
    tokenOk()
    searchAt(0).reply(200, JSON.stringify(searchPage([ws1Device(1, 'SER001')], 0, 500, 1)), {
      'content-type': 'application/json;version=1; charset=utf-8',
    })
    const { poll } = setup()
    expect((await poll()).complete).toBe(true)
  })

  test('missing Devices array is a schema error', async () => {
    tokenOk()
    searchAt(0).reply(200, { Items: [] }, JSON_TYPE)
    const { poll } = setup()
    const outcome = await poll()
    expect(outcome.complete).toBe(false)
    expect(outcome.error).toMatchObject({ kind: 'schema', code: 'missing_devices' })
    expect(outcome.results[0]).toMatchObject({ status: 'unknown', reason: 'sync_incomplete' })
  })

  test('v3 shape to a v2 request is a schema error', async () => {
    tokenOk()
    searchAt(0).reply(200, { devices: [{ serial_number: 'SER001' }], page: 0, page_size: 500, total: 1 }, JSON_TYPE)
    const { poll } = setup()
    expect((await poll()).error).toMatchObject({ kind: 'schema', code: 'unexpected_version' })
  })
})

describe('paging', () => {
  test('204 on the first page is an empty fleet', async () => {
    tokenOk()
    searchAt(0).reply(204)
    const { poll } = setup()
    const outcome = await poll()
    expect(outcome.complete).toBe(true)
    expect(outcome.ws1Records).toBe(0)
    expect(outcome.results[0]).toMatchObject({ status: 'unknown', reason: 'not_found', fresh: true })
  })

  test('follows the PageSize the server returned', async () => {
    tokenOk()
    const serials = ['SER001', 'SER002', 'SER003', 'SER004', 'SER005']
    const records = serials.map((serial, index) => ws1Device(index + 1, serial))
    // The server caps the page at 2 although 500 was requested.
    searchAt(0).reply(200, searchPage(records.slice(0, 2), 0, 2, 5), JSON_TYPE)
    searchAt(1).reply(200, searchPage(records.slice(2, 4), 1, 2, 5), JSON_TYPE)
    searchAt(2).reply(200, searchPage(records.slice(4), 2, 2, 5), JSON_TYPE)
    const devices = serials.map((serial, index) => makeDevice(`d${index + 1}`, serial))
    const { poll } = setup(devices)
    const outcome = await poll()
    expect(outcome.complete).toBe(true)
    expect(outcome.pages).toBe(3)
    expect(outcome.ws1Records).toBe(5)
    expect(Object.values(statusesOf(outcome))).toEqual(Array(5).fill('compliant'))
  })

  test('premature 204 is retried once and recovers', async () => {
    tokenOk()
    searchAt(0).reply(200, searchPage([ws1Device(1, 'SER001')], 0, 1, 2), JSON_TYPE)
    searchAt(1).reply(204)
    searchAt(1).reply(200, searchPage([ws1Device(2, 'SER002')], 1, 1, 2), JSON_TYPE)
    const { poll } = setup([makeDevice('d1', 'SER001'), makeDevice('d2', 'SER002')])
    const outcome = await poll()
    expect(outcome.complete).toBe(true)
    expect(statusesOf(outcome)).toEqual({ d1: 'compliant', d2: 'compliant' })
  })

  test('premature 204 twice makes the poll incomplete', async () => {
    tokenOk()
    searchAt(0).reply(200, searchPage([ws1Device(1, 'SER001')], 0, 1, 2), JSON_TYPE)
    searchAt(1).times(2).reply(204)
    const { poll } = setup([makeDevice('d1', 'SER001'), makeDevice('d2', 'SER002')])
    const outcome = await poll()
    expect(outcome.complete).toBe(false)
    expect(outcome.error).toMatchObject({ kind: 'schema', code: 'premature_end' })
    expect(outcome.results.map((result) => result.reason)).toEqual(['sync_incomplete', 'sync_incomplete'])
    expect(outcome.results.every((result) => !result.PostureEvaluatedResult)).toBe(true)
  })

  test('empty Devices page before Total is incomplete', async () => {
    tokenOk()
    searchAt(0).reply(200, searchPage([ws1Device(1, 'SER001')], 0, 1, 2), JSON_TYPE)
    searchAt(1).times(2).reply(200, searchPage([], 1, 1, 2), JSON_TYPE)
    const { poll } = setup()
    expect((await poll()).error).toMatchObject({ code: 'premature_end' })
  })

  test('Total change restarts the sync once', async () => {
    tokenOk()
    searchAt(0).reply(200, searchPage([ws1Device(1, 'SER001')], 0, 1, 2), JSON_TYPE)
    searchAt(1).reply(200, searchPage([ws1Device(3, 'SER003')], 1, 1, 3), JSON_TYPE)
    searchAt(0).reply(200, searchPage([ws1Device(1, 'SER001')], 0, 1, 3), JSON_TYPE)
    searchAt(1).reply(200, searchPage([ws1Device(2, 'SER002')], 1, 1, 3), JSON_TYPE)
    searchAt(2).reply(200, searchPage([ws1Device(3, 'SER003')], 2, 1, 3), JSON_TYPE)
    const { poll } = setup([makeDevice('d1', 'SER001'), makeDevice('d2', 'SER002'), makeDevice('d3', 'SER003')])
    const outcome = await poll()
    expect(outcome.complete).toBe(true)
    expect(outcome.pages).toBe(5)
    expect(outcome.ws1Records).toBe(3)
  })

  test('Total changing twice is incomplete', async () => {
    tokenOk()
    searchAt(0).reply(200, searchPage([ws1Device(1, 'SER001')], 0, 1, 2), JSON_TYPE)
    searchAt(1).reply(200, searchPage([ws1Device(2, 'SER002')], 1, 1, 3), JSON_TYPE)
    searchAt(0).reply(200, searchPage([ws1Device(1, 'SER001')], 0, 1, 3), JSON_TYPE)
    searchAt(1).reply(200, searchPage([ws1Device(2, 'SER002')], 1, 1, 4), JSON_TYPE)
    const { poll } = setup()
    expect((await poll()).error).toMatchObject({ kind: 'schema', code: 'total_changed' })
  })

  test('record shifted onto the next page is counted once', async () => {
    tokenOk()
    // Device 2 appears on both pages because the fleet shifted between requests.
    searchAt(0).reply(200, searchPage([ws1Device(1, 'SER001'), ws1Device(2, 'SER002')], 0, 2, 4), JSON_TYPE)
    searchAt(1).reply(200, searchPage([ws1Device(2, 'SER002'), ws1Device(4, 'SER004')], 1, 2, 4), JSON_TYPE)
    const { poll } = setup([makeDevice('d2', 'SER002')])
    const outcome = await poll()
    expect(outcome.complete).toBe(true)
    expect(outcome.ws1Records).toBe(3)
    expect(outcome.results[0]).toMatchObject({ status: 'compliant', matchedWs1Id: 2 })
  })

  test('repeated page is incomplete', async () => {
    tokenOk()
    const page = searchPage([ws1Device(1, 'SER001'), ws1Device(2, 'SER002')], 0, 2, 6)
    searchAt(0).reply(200, page, JSON_TYPE)
    searchAt(1).reply(200, { ...page, Page: 1 }, JSON_TYPE)
    const { poll } = setup()
    const outcome = await poll()
    expect(outcome.error).toMatchObject({ kind: 'schema', code: 'repeated_page' })
    expect(outcome.pages).toBe(2)
  })

  test('runaway paging stops at the page bound', async () => {
    tokenOk()
    // Each page claims PageSize 2 but carries one new record, so rows never reach Total.
    nock(API_ORIGIN)
      .get(SEARCH)
      .query(true)
      .times(10)
      .reply((uri) => {
        const page = Number(new URL(uri, API_ORIGIN).searchParams.get('page'))
        return [200, searchPage([ws1Device(page + 1, `SER${page}`)], page, 2, 10), JSON_TYPE]
      })
    const { poll } = setup()
    const outcome = await poll()
    expect(outcome.error).toMatchObject({ kind: 'schema', code: 'runaway_paging' })
    // ceil(10 / 2) + 2 pages are allowed.
    expect(outcome.pages).toBe(7)
  })
})

describe('failed polls', () => {
  test('keep earlier results until expiration', async () => {
    tokenOk()
    searchAt(0).reply(200, searchPage([ws1Device(1, 'SER001')], 0, 500, 1), JSON_TYPE)
    searchAt(0).times(8).reply(503, '')
    const clock = new ManualClock()
    const tracking = createTrackingFetch()
    const config = makeConfig([makeDevice('d1', 'SER001')])
    config.rules = [{ ...config.rules[0]!, expiration: '20m' }]
    const checker = new PostureChecker(config, { clock, fetch: tracking.fetch, maxAttempts: 4 })
    const first = await drive(clock, tracking.inFlight, checker.poll())
    expect(first.results[0]).toMatchObject({ status: 'compliant', PostureEvaluatedResult: true, fresh: true })

    clock.advance(10 * 60_000)
    const second = await drive(clock, tracking.inFlight, checker.poll())
    expect(second.complete).toBe(false)
    expect(second.results[0]).toMatchObject({
      status: 'compliant',
      reason: 'all_flags_pass',
      PostureEvaluatedResult: true,
      fresh: false,
      evaluatedAt: first.results[0]!.evaluatedAt,
      poll: 2,
    })
    expect(second.results[0]!.detail).toContain('kept from poll 1')

    clock.advance(10 * 60_000)
    const third = await drive(clock, tracking.inFlight, checker.poll())
    expect(third.results[0]).toMatchObject({ status: 'compliant', reason: 'expired', PostureEvaluatedResult: false, fresh: false })
  })

  test('never publish noncompliant for unseen devices', async () => {
    tokenOk()
    searchAt(0).reply(200, searchPage([ws1Device(1, 'SER001')], 0, 1, 2), JSON_TYPE)
    searchAt(1).times(4).reply(504, HTML_PAGE, { 'content-type': 'text/html' })
    const config = makeConfig([makeDevice('d1', 'SER001'), makeDevice('d2', 'SER002')], [
      { id: 'r-unknown', name: 'unknown rule', type: 'workspace_one', input: { compliance_status: 'unknown', connection_id: 'ws1' } },
    ])
    const clock = new ManualClock()
    const tracking = createTrackingFetch()
    const checker = new PostureChecker(config, { clock, fetch: tracking.fetch })
    const outcome = await drive(clock, tracking.inFlight, checker.poll())
    expect(outcome.complete).toBe(false)
    for (const result of outcome.results) {
      expect(result.status).toBe('unknown')
      expect(result.reason).toBe('provider_error')
      // A rule that expects unknown must not pass because the provider failed.
      expect(result.PostureEvaluatedResult).toBe(false)
    }
  })

  test('latestResults expires results with time', async () => {
    tokenOk()
    searchAt(0).reply(200, searchPage([ws1Device(1, 'SER001')], 0, 500, 1), JSON_TYPE)
    const clock = new ManualClock()
    const tracking = createTrackingFetch()
    const config = makeConfig([makeDevice('d1', 'SER001')])
    config.rules = [{ ...config.rules[0]!, expiration: '30m' }]
    const checker = new PostureChecker(config, { clock, fetch: tracking.fetch })
    await drive(clock, tracking.inFlight, checker.poll())
    expect(checker.latestResults()[0]).toMatchObject({ PostureEvaluatedResult: true, reason: 'all_flags_pass' })
    clock.advance(31 * 60_000)
    expect(checker.latestResults()[0]).toMatchObject({ PostureEvaluatedResult: false, reason: 'expired' })
  })
})

describe('testConnection', () => {
  test('reports success after token and search', async () => {
    tokenOk()
    searchAt(0, 1).reply(200, searchPage([ws1Device(1, 'SER001')], 0, 1, 12), JSON_TYPE)
    nock(API_ORIGIN).get(SEARCH).query({ pagesize: '1' }).reply(200, searchPage([ws1Device(1, 'SER001')], 0, 1, 12), JSON_TYPE)
    const { testConnection } = setup()
    const result = await testConnection()
    expect(result).toMatchObject({ ok: true, step: 'api' })
  })

  test('token URL unreachable', async () => {
    nock(AUTH_ORIGIN).post('/connect/token').replyWithError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' })
    const { testConnection } = setup()
    const result = await testConnection()
    expect(result).toMatchObject({ ok: false, step: 'token', code: 'ECONNREFUSED' })
    expect(result.message).toContain('integration.config.auth_url')
  })

  test('invalid_client', async () => {
    nock(AUTH_ORIGIN).post('/connect/token').reply(400, { error: 'invalid_client' }, JSON_TYPE)
    const { testConnection } = setup()
    expect(await testConnection()).toMatchObject({ ok: false, step: 'token', code: 'invalid_client', status: 400 })
  })

  test('TLS certificate error', async () => {
    nock(AUTH_ORIGIN).post('/connect/token').replyWithError({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT', message: 'self-signed certificate' })
    const { testConnection } = setup()
    const result = await testConnection()
    expect(result).toMatchObject({ ok: false, step: 'token', code: 'DEPTH_ZERO_SELF_SIGNED_CERT' })
    expect(result.message).toContain('TLS')
  })

  test('wrong tenant code', async () => {
    tokenOk()
    nock(API_ORIGIN).get(SEARCH).query({ pagesize: '1' }).reply(403, { errorCode: 1013, message: 'Tenant code XYZ does not identify an Organization Group.' }, JSON_TYPE)
    const { testConnection } = setup()
    expect(await testConnection()).toMatchObject({ ok: false, step: 'api', code: '1013', status: 403 })
  })

  test('timeout on the API call', async () => {
    tokenOk()
    nock(API_ORIGIN).get(SEARCH).query({ pagesize: '1' }).delay(600_000).reply(204)
    const clock = new ManualClock()
    const tracking = createTrackingFetch()
    const checker = new PostureChecker(makeConfig([]), { clock, fetch: tracking.fetch, requestTimeoutMs: 10_000 })
    const result = await drive(clock, tracking.inFlight, checker.testConnection(), { advanceDuringRequests: true })
    expect(result).toMatchObject({ ok: false, step: 'api', code: 'timeout' })
  })

  test('plain http to a remote host fails the config step', async () => {
    const config = makeConfig([])
    config.integration.config.api_url = 'http://as123.example.test/API'
    const checker = new PostureChecker(config, { clock: new ManualClock() })
    const result = await checker.testConnection()
    expect(result.ok).toBe(false)
    expect(result.step).toBe('config')
    expect(result.message).toContain('integration.config.api_url')
  })
})

describe('optional sources', () => {
  test('serial lookups for small lists', async () => {
    tokenOk()
    nock(API_ORIGIN)
      .get('/API/mdm/devices')
      .query({ searchby: 'Serialnumber', id: 'C02 FAKE/01' })
      .matchHeader('accept', 'application/json;version=1')
      .reply(200, ws1Device(5, 'C02 FAKE/01'), JSON_TYPE)
    nock(API_ORIGIN)
      .get('/API/mdm/devices')
      .query({ searchby: 'Serialnumber', id: 'MISSING1' })
      .reply(404, { errorCode: 5061, message: 'Device not found for this request.' }, JSON_TYPE)
    const devices = [makeDevice('d1', ' C02 FAKE/01 '), makeDevice('d2', 'MISSING1'), makeDevice('d3', null)]
    const { poll } = setup(devices, { serialLookupThreshold: 5 })
    const outcome = await poll()
    expect(outcome.complete).toBe(true)
    expect(outcome.pages).toBe(0)
    expect(statusesOf(outcome)).toEqual({ d1: 'compliant', d2: 'unknown', d3: 'unknown' })
    expect(outcome.results[0]!.detail).toContain('duplicate serials cannot be detected')
    expect(outcome.results[1]!.reason).toBe('not_found')
    expect(outcome.results[2]!.reason).toBe('no_serial')
  })

  test('per-device compliance flags', async () => {
    tokenOk()
    searchAt(0).reply(200, searchPage([ws1Device(1, 'SER001'), ws1Device(2, 'SER002')], 0, 500, 2), JSON_TYPE)
    nock(API_ORIGIN)
      .get('/API/mdm/devices/1/compliance')
      .query(true)
      .reply(200, { DeviceCompliance: [{ PolicyName: 'Passcode', CompliantStatus: false, CompliancePending: false }], Page: 0, PageSize: 500, Total: 1 }, JSON_TYPE)
    nock(API_ORIGIN).get('/API/mdm/devices/2/compliance').query(true).reply(204)
    const { poll } = setup([makeDevice('d1', 'SER001'), makeDevice('d2', 'SER002')], { complianceSource: 'per-device' })
    const outcome = await poll()
    expect(outcome.complete).toBe(true)
    expect(outcome.results[0]).toMatchObject({ status: 'noncompliant', reason: 'flag_failed' })
    expect(outcome.results[0]!.detail).toContain('Passcode')
    expect(outcome.results[1]).toMatchObject({ status: 'compliant', reason: 'never_evaluated', evaluated: false })
  })
})
