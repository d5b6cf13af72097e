import nock from 'nock'
import pino from 'pino'

import { Poller, PostureChecker, toNdjson } from './index'
import { ManualClock, createTrackingFetch, drive } from './test-clock'
import { API_ORIGIN, AUTH_ORIGIN, makeConfig, makeDevice, makeRule, searchPage, ws1Device } from './test-support'
import type { PollOutcome } from './types'
import { useOfflineNock } from '../test/offline-nock'

const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' }
const INTERVAL_MS = 600_000

/** Yields to the event loop until `predicate` holds; fails after 2000 turns. */
async function until(predicate: () => boolean): Promise<void> {
  for (let turn = 0; turn < 2000; turn++) {
    if (predicate()) return
    await new Promise((resolve) => setImmediate(resolve))
  }
  throw new Error('condition not reached')
}

function createPoller() {
  nock(AUTH_ORIGIN).post('/connect/token').reply(200, { access_token: 't', expires_in: 3600 }, JSON_TYPE)
  nock(API_ORIGIN).get('/API/mdm/devices/search').query(true).times(10).reply(200, searchPage([ws1Device(1, 'SER001')], 0, 500, 1), JSON_TYPE)
  const clock = new ManualClock()
  const tracking = createTrackingFetch()
  const checker = new PostureChecker(makeConfig([makeDevice('d1', 'SER001')]), { clock, fetch: tracking.fetch })
  const outcomes: PollOutcome[] = []
  const poller = new Poller(checker, { clock, intervalMs: INTERVAL_MS, onPoll: (outcome) => outcomes.push(outcome) })
  return { clock, poller, outcomes }
}

useOfflineNock()

describe('Poller', () => {
  test('polls now and then every interval', async () => {
    const { clock, poller, outcomes } = createPoller()
    const startedAt = clock.now()
    poller.start()
    await until(() => outcomes.length === 1 && clock.pendingTimers === 1)
    clock.advance(INTERVAL_MS - 1)
    await new Promise((resolve) => setImmediate(resolve))
    expect(outcomes).toHaveLength(1)
    clock.advance(1)
    await until(() => outcomes.length === 2 && clock.pendingTimers === 1)
    expect(outcomes.map((outcome) => outcome.startedAt - startedAt)).toEqual([0, INTERVAL_MS])
    await poller.stop()
    expect(clock.pendingTimers).toBe(0)
  })

  test('stop waits for the poll in flight', async () => {
    const { clock, poller, outcomes } = createPoller()
    poller.start()
    const stopped = poller.stop()
    await stopped
    expect(outcomes).toHaveLength(1)
    expect(outcomes[0]!.complete).toBe(true)
    expect(clock.pendingTimers).toBe(0)
  })

  test('rejects a non-positive interval', () => {
    const checker = new PostureChecker(makeConfig([]), { clock: new ManualClock() })
    expect(() => new Poller(checker, { clock: new ManualClock(), intervalMs: 0 })).toThrow('intervalMs must be a positive number')
  })
})

describe('toNdjson', () => {
  test('one line per result in a fixed key order', async () => {
    const { poller, outcomes } = createPoller()
    poller.start()
    await poller.stop()
    const text = toNdjson(outcomes[0]!.results)
    const lines = text.split('\n')
    expect(lines).toHaveLength(2)
    expect(lines[1]).toBe('')
    const keys = Object.keys(JSON.parse(lines[0]!) as object)
    expect(keys.slice(0, 3)).toEqual(['ClientVersion', 'DeviceID', 'DeviceManufacturer'])
    expect(keys.indexOf('PostureEvaluatedResult')).toBeLessThan(keys.indexOf('status'))
    expect(keys[keys.length - 1]).toBe('poll')
  })

  test('same results give the same bytes whatever the key order', async () => {
    const { poller, outcomes } = createPoller()
    poller.start()
    await poller.stop()
    const result = outcomes[0]!.results[0]!
    const reversed = Object.fromEntries(Object.entries(result).reverse()) as typeof result
    expect(toNdjson([reversed])).toBe(toNdjson([result]))
  })

  test('empty list gives empty text', () => {
    expect(toNdjson([])).toBe('')
  })
})

describe('PostureChecker devices', () => {
  test('setDevices applies from the next poll', async () => {
    nock(AUTH_ORIGIN).post('/connect/token').reply(200, { access_token: 't', expires_in: 3600 }, JSON_TYPE)
    nock(API_ORIGIN).get('/API/mdm/devices/search').query(true).times(2).reply(204)
    const clock = new ManualClock()
    const tracking = createTrackingFetch()
    const checker = new PostureChecker(makeConfig([makeDevice('d1', 'A')], [makeRule()]), { clock, fetch: tracking.fetch })
    const first = await checker.poll()
    checker.setDevices([makeDevice('d2', 'B'), makeDevice('d3', 'C')])
    const second = await checker.poll()
    expect(first.results.map((result) => result.DeviceID)).toEqual(['d1'])
    expect(second.results.map((result) => result.DeviceID)).toEqual(['d2', 'd3'])
    expect(second.poll).toBe(2)
  })

  test('option out of range is a ConfigError', () => {
    expect(() => new PostureChecker(makeConfig([]), { pageSize: 0 })).toThrow('pageSize must be a positive integer')
    expect(() => new PostureChecker(makeConfig([]), { maxAttempts: 1.5 })).toThrow('maxAttempts')
  })

  test('missing secret ends the poll without a request', async () => {
    const config = makeConfig([makeDevice('d1', 'A')])
    delete config.integration.config.client_secret
    const checker = new PostureChecker(config, { clock: new ManualClock() })
    const outcome = await checker.poll()
    expect(outcome.error).toMatchObject({ kind: 'config', code: 'missing_secret' })
    expect(outcome.requests).toBe(0)
    expect(outcome.results[0]).toMatchObject({ reason: 'provider_error', PostureEvaluatedResult: false })
  })
})

describe('determinism and logging', () => {
  async function runOnce(lines: string[]): Promise<string> {
    nock(AUTH_ORIGIN).post('/connect/token').reply(200, { access_token: 'token-value-1', expires_in: 3600 }, JSON_TYPE)
    nock(API_ORIGIN).get('/API/mdm/devices/search').query(true).reply(503, '')
    nock(API_ORIGIN)
      .get('/API/mdm/devices/search')
      .query(true)
      .reply(200, searchPage([ws1Device(1, 'SER001'), ws1Device(2, 'SER002', { ComplianceStatus: 'NonCompliant' })], 0, 500, 2), JSON_TYPE)
    const clock = new ManualClock()
    const tracking = createTrackingFetch()
    const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(line) })
    const checker = new PostureChecker(makeConfig([makeDevice('d1', 'SER001'), makeDevice('d2', 'SER002'), makeDevice('d3', null)]), {
      clock,
      fetch: tracking.fetch,
      logger,
      seed: 5,
    })
    const outcome = await drive(clock, tracking.inFlight, checker.poll())
    return toNdjson(outcome.results)
  }

  test('same seed and inputs give the same bytes', async () => {
    const first = await runOnce([])
    const second = await runOnce([])
    expect(second).toBe(first)
  })

  test('logs fixed messages and no secrets', async () => {
    const lines: string[] = []
    await runOnce(lines)
    const messages = lines.map((line) => (JSON.parse(line) as { msg: string }).msg)
    expect(messages).toEqual(expect.arrayContaining(['token fetched', 'retrying request', 'page fetched', 'poll finished']))
    const text = lines.join('')
    expect(text).not.toContain('secret-1')
    expect(text).not.toContain('token-value-1')
  })
})
