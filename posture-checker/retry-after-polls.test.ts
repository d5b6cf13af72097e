/**
 * A Retry-After that a poll did not wait out applies across polls: later polls
 * send no request until the time it names, end as quota errors and carry
 * the earlier results. Test connection still sends its requests.
 */
import nock from 'nock'

import { PostureChecker } from './index'
import { ManualClock, createTrackingFetch, drive } from './test-clock'
import { API_ORIGIN, API_URL, AUTH_ORIGIN, AUTH_URL, makeConfig, makeDevice, makeRule, searchPage, ws1Device } from './test-support'
import type { CheckerOptions, PollOutcome } from './types'
import { useOfflineNock } from '../test/offline-nock'

const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' }
const SEARCH = '/API/mdm/devices/search'
const START = Date.UTC(2026, 0, 1)
const MINUTE = 60_000

function setup(options: CheckerOptions = {}, expiration?: string) {
  const clock = new ManualClock(START)
  const tracking = createTrackingFetch()
  const config = makeConfig([makeDevice('d1', 'SER001')], [makeRule(expiration === undefined ? {} : { expiration })])
  const checker = new PostureChecker(config, { clock, fetch: tracking.fetch, seed: 7, ...options })
  return {
    clock,
    checker,
    poll: (): Promise<PollOutcome> => drive(clock, tracking.inFlight, checker.poll()),
    testConnection: () => drive(clock, tracking.inFlight, checker.testConnection()),
  }
}

function tokenOk(times = 1): void {
  nock(AUTH_ORIGIN).post('/connect/token').times(times).reply(200, { access_token: 'token-1', expires_in: 86_400 }, JSON_TYPE)
}

function search(): nock.Interceptor {
  return nock(API_ORIGIN).get(SEARCH).query(true)
}

function serveDevice(): void {
  search().reply(200, searchPage([ws1Device(1, 'SER001')], 0, 500, 1), JSON_TYPE)
}

useOfflineNock()

describe('Retry-After across polls', () => {
  test('quota error names the time polls wait for', async () => {
    tokenOk()
    search().reply(429, '', { 'retry-after': '3600' })
    const { poll } = setup()
    const outcome = await poll()
    expect(outcome.error).toMatchObject({ kind: 'quota', code: 'rate_limited' })
    expect(outcome.error?.message).toContain('polls send no request before 2026-01-01T01:00:00.000Z')
  })

  test('next poll before the time sends no request', async () => {
    tokenOk()
    search().reply(429, '', { 'retry-after': '3600' })
    const { poll, clock } = setup()
    await poll()
    clock.advance(5 * MINUTE)
    const outcome = await poll()
    expect(outcome.requests).toBe(0)
    expect(outcome.pages).toBe(0)
    expect(outcome.complete).toBe(false)
    expect(outcome.error).toMatchObject({ kind: 'quota', code: 'waiting_for_retry_after' })
    expect(outcome.error?.message).toContain('waiting for Retry-After until 2026-01-01T01:00:00.000Z')
  })

  test('poll at the named time sends requests again', async () => {
    tokenOk()
    search().reply(429, '', { 'retry-after': '3600' })
    serveDevice()
    const { poll, clock } = setup()
    await poll()
    clock.advance(60 * MINUTE - 1)
    expect((await poll()).requests).toBe(0)
    clock.advance(1)
    const outcome = await poll()
    expect(outcome.complete).toBe(true)
    expect(outcome.requests).toBe(1)
    expect(outcome.results[0]).toMatchObject({ status: 'compliant', fresh: true })
  })

  test('HTTP-date Retry-After is remembered', async () => {
    tokenOk()
    search().reply(429, '', { 'retry-after': new Date(START + 2 * 3_600_000).toUTCString() })
    const { poll, clock } = setup()
    await poll()
    clock.advance(90 * MINUTE)
    const outcome = await poll()
    expect(outcome.requests).toBe(0)
    expect(outcome.error?.message).toContain('2026-01-01T02:00:00.000Z')
  })

  test('503 Retry-After beyond the limit is remembered', async () => {
    tokenOk()
    search().reply(503, { message: 'maintenance' }, { ...JSON_TYPE, 'retry-after': '1800' })
    const { poll, clock } = setup()
    expect((await poll()).error).toMatchObject({ kind: 'quota', code: 'http_503' })
    clock.advance(10 * MINUTE)
    expect((await poll()).error).toMatchObject({ kind: 'quota', code: 'waiting_for_retry_after' })
  })

  test('Retry-After on the last attempt is remembered', async () => {
    tokenOk()
    search().reply(429, '', { 'retry-after': '120' })
    const { poll, clock } = setup({ maxAttempts: 1 })
    expect((await poll()).error).toMatchObject({ kind: 'quota', code: 'rate_limited' })
    clock.advance(MINUTE)
    const waiting = await poll()
    expect(waiting.requests).toBe(0)
    expect(waiting.error?.code).toBe('waiting_for_retry_after')
  })

  test('Retry-After waited out within a poll is not remembered', async () => {
    tokenOk()
    search().reply(429, '', { 'retry-after': '30' })
    serveDevice()
    serveDevice()
    const { poll, clock } = setup()
    expect((await poll()).complete).toBe(true)
    clock.advance(5 * MINUTE)
    const outcome = await poll()
    expect(outcome.complete).toBe(true)
    expect(outcome.requests).toBe(1)
  })

  test('waiting polls carry results until expiration', async () => {
    tokenOk()
    serveDevice()
    search().reply(429, '', { 'retry-after': '7200' })
    const { poll, clock } = setup({}, '30m')
    await poll()
    clock.advance(5 * MINUTE)
    expect((await poll()).error?.kind).toBe('quota')
    clock.advance(10 * MINUTE)
    const carried = await poll()
    expect(carried.results[0]).toMatchObject({ status: 'compliant', fresh: false, PostureEvaluatedResult: true })
    expect(carried.results[0]?.detail).toContain('waiting_for_retry_after')
    clock.advance(30 * MINUTE)
    const expired = await poll()
    expect(expired.requests).toBe(0)
    expect(expired.results[0]).toMatchObject({ fresh: false, PostureEvaluatedResult: false, reason: 'expired' })
  })

  test('test connection still sends its requests', async () => {
    tokenOk(2)
    search().reply(429, '', { 'retry-after': '3600' })
    search().reply(200, searchPage([ws1Device(1, 'SER001')], 0, 1, 1), JSON_TYPE)
    const { poll, clock, testConnection } = setup()
    await poll()
    clock.advance(MINUTE)
    const tested = await testConnection()
    expect(tested).toMatchObject({ ok: true, step: 'api' })
    expect(nock.isDone()).toBe(true)
    expect((await poll()).error?.code).toBe('waiting_for_retry_after')
  })

  test('new API URL drops the wait', async () => {
    tokenOk()
    search().reply(429, '', { 'retry-after': '3600' })
    const { poll, clock, checker } = setup()
    await poll()
    const movedOrigin = 'https://ws1-moved.test'
    nock(AUTH_ORIGIN).post('/connect/token').reply(200, { access_token: 'token-2', expires_in: 86_400 }, JSON_TYPE)
    nock(movedOrigin).get(SEARCH).query(true).reply(200, searchPage([ws1Device(1, 'SER001')], 0, 500, 1), JSON_TYPE)
    checker.updateIntegration({
      ...makeConfig([]).integration,
      config: { api_url: `${movedOrigin}/API`, auth_url: AUTH_URL, client_id: 'client-1', client_secret: 'secret-1' },
    })
    clock.advance(5 * MINUTE)
    expect((await poll()).complete).toBe(true)
  })

  test('new secret keeps the wait', async () => {
    tokenOk()
    search().reply(429, '', { 'retry-after': '3600' })
    const { poll, clock, checker } = setup()
    await poll()
    checker.updateIntegration({
      ...makeConfig([]).integration,
      config: { api_url: API_URL, auth_url: AUTH_URL, client_id: 'client-1', client_secret: 'secret-2' },
    })
    clock.advance(5 * MINUTE)
    const outcome = await poll()
    expect(outcome.requests).toBe(0)
    expect(outcome.error?.code).toBe('waiting_for_retry_after')
  })

  test('huge Retry-After is cut to a day', async () => {
    // The token lives a day too, so the poll after the wait fetches a new one.
    tokenOk(2)
    search().reply(429, '', { 'retry-after': '9999999999999' })
    serveDevice()
    const { poll, clock } = setup()

    const first = await poll()
    clock.advance(24 * 60 * MINUTE - 1)
    const waiting = await poll()
    clock.advance(1)
    const after = await poll()

    expect(first.error?.message).toContain('polls send no request before 2026-01-02T00:00:00.000Z')
    expect(waiting.error).toMatchObject({ kind: 'quota', code: 'waiting_for_retry_after' })
    expect(after.error).toBeUndefined()
    expect(after.complete).toBe(true)
  })

  test('concurrent lookups stop retrying', async () => {
    const devices = ['SER001', 'SER002', 'SER003'].map((serial, index) => makeDevice(`d${index + 1}`, serial))
    const clock = new ManualClock(START)
    const tracking = createTrackingFetch()
    const checker = new PostureChecker(makeConfig(devices, [makeRule()]), {
      clock,
      fetch: tracking.fetch,
      seed: 7,
      serialLookupThreshold: 10,
      complianceConcurrency: 3,
    })
    tokenOk()
    const lookups = nock(API_ORIGIN).get('/API/mdm/devices').query(true)
    lookups.reply(429, '', { 'retry-after': '3600' })
    nock(API_ORIGIN).get('/API/mdm/devices').query(true).times(2).reply(429, '', { 'retry-after': '2' })
    const late = nock(API_ORIGIN).get('/API/mdm/devices').query(true).times(3).reply(200, {}, JSON_TYPE)

    const outcome = await drive(clock, tracking.inFlight, checker.poll())

    expect(outcome.complete).toBe(false)
    expect(outcome.requests).toBe(4)
    expect(late.isDone()).toBe(false)
  })
})
