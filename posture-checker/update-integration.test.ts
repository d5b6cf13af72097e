/**
 * PostureChecker.updateIntegration against nock-mocked Workspace ONE
 * endpoints: validation, token handling and results kept across the change.
 */
import nock from 'nock'

import { ConfigError, PostureChecker } from './index'
import { ManualClock, createTrackingFetch, drive } from './test-clock'
import { API_ORIGIN, AUTH_ORIGIN, makeConfig, makeDevice, searchPage, ws1Device } from './test-support'
import type { CheckerConfig, PollOutcome, PostureIntegration } from './types'
import { useOfflineNock } from '../test/offline-nock'

const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' }
const SEARCH = '/API/mdm/devices/search'
const ONE_DEVICE = searchPage([ws1Device(1, 'SER001')], 0, 500, 1)

function setup(adjust: (config: CheckerConfig) => void = () => undefined) {
  const clock = new ManualClock()
  const tracking = createTrackingFetch()
  const config = makeConfig([makeDevice('d1', 'SER001')])
  adjust(config)
  const checker = new PostureChecker(config, { clock, fetch: tracking.fetch, maxAttempts: 1 })
  const poll = (): Promise<PollOutcome> => drive(clock, tracking.inFlight, checker.poll())
  return { clock, checker, config, poll }
}

/** Replies to token requests with token-1, token-2, ... and records each form body's client_secret. */
function recordTokens(secrets: string[], times = 1): nock.Scope {
  let issued = 0
  return nock(AUTH_ORIGIN)
    .post('/connect/token', (body: Record<string, string>) => {
      secrets.push(body['client_secret'] ?? '')
      return true
    })
    .times(times)
    .reply(200, () => ({ access_token: `token-${++issued}`, token_type: 'Bearer', expires_in: 3600 }), JSON_TYPE)
}

/** Replies to searches on `origin` with one compliant device and records each Authorization header. */
function recordSearches(authorizations: string[], origin = API_ORIGIN, times = 1): void {
  nock(origin)
    .get(SEARCH)
    .query(true)
    .times(times)
    .reply(function () {
      authorizations.push(String(this.req.headers['authorization']))
      return [200, ONE_DEVICE, JSON_TYPE]
    })
}

/**
 * Builds a checker and runs one complete poll. Token and search requests, up
 * to two each, are recorded in `secrets` and `authorizations`.
 */
async function setupAfterOnePoll() {
  const secrets: string[] = []
  const authorizations: string[] = []
  recordTokens(secrets, 2)
  recordSearches(authorizations, API_ORIGIN, 2)
  const context = setup()
  await context.poll()
  return { ...context, secrets, authorizations }
}

function withSecret(integration: PostureIntegration, secret: string): PostureIntegration {
  return { ...integration, config: { ...integration.config, client_secret: secret } }
}

useOfflineNock()

describe('updateIntegration', () => {
  test('new secret fetches a new token', async () => {
    const { checker, config, poll, secrets, authorizations } = await setupAfterOnePoll()

    checker.updateIntegration(withSecret(config.integration, 'secret-2'))
    const second = await poll()

    expect(second.complete).toBe(true)
    expect(secrets).toEqual(['secret-1', 'secret-2'])
    expect(authorizations).toEqual(['Bearer token-1', 'Bearer token-2'])
  })

  test('unchanged credentials keep the cached token', async () => {
    const { checker, config, poll, secrets, authorizations } = await setupAfterOnePoll()

    checker.updateIntegration({ ...config.integration, interval: '1h' })
    await poll()

    expect(secrets).toEqual(['secret-1'])
    expect(authorizations).toEqual(['Bearer token-1', 'Bearer token-1'])
  })

  test('new api_url is used from the next poll', async () => {
    const otherOrigin = 'https://as2.ws1.test'
    const firstHost: string[] = []
    const secondHost: string[] = []
    recordTokens([], 2)
    recordSearches(firstHost)
    recordSearches(secondHost, otherOrigin)
    const { checker, config, poll } = setup()
    await poll()

    checker.updateIntegration({ ...config.integration, config: { ...config.integration.config, api_url: `${otherOrigin}/API` } })
    const second = await poll()

    expect(second.complete).toBe(true)
    expect(firstHost).toHaveLength(1)
    // A new URL drops the token, as a token need not be valid for another tenant.
    expect(secondHost).toEqual(['Bearer token-2'])
  })

  test('carried results survive the update', async () => {
    recordTokens([], 2)
    recordSearches([])
    nock(API_ORIGIN).get(SEARCH).query(true).reply(503, '')
    const { checker, clock, config, poll } = setup((draft) => {
      draft.rules = [{ ...draft.rules[0]!, expiration: '20m' }]
    })
    const first = await poll()
    clock.advance(10 * 60_000)

    checker.updateIntegration(withSecret(config.integration, 'secret-2'))
    const second = await poll()

    expect(second.complete).toBe(false)
    expect(second.results[0]).toMatchObject({
      status: 'compliant',
      reason: 'all_flags_pass',
      PostureEvaluatedResult: true,
      fresh: false,
      evaluatedAt: first.results[0]!.evaluatedAt,
    })
    clock.advance(11 * 60_000)
    expect(checker.latestResults()[0]).toMatchObject({ reason: 'expired', PostureEvaluatedResult: false })
  })

  test('token fetched during the update is not cached', async () => {
    const secrets: string[] = []
    const { checker, config, poll } = setup()
    let issued = 0
    nock(AUTH_ORIGIN)
      .post('/connect/token', (body: Record<string, string>) => {
        secrets.push(body['client_secret'] ?? '')
        return true
      })
      .times(2)
      .reply(200, () => {
        // The first token request is in flight when the secret changes.
        if (issued === 0) checker.updateIntegration(withSecret(config.integration, 'secret-2'))
        return { access_token: `token-${++issued}`, expires_in: 3600 }
      }, JSON_TYPE)
    const authorizations: string[] = []
    recordSearches(authorizations, API_ORIGIN, 2)

    await poll()
    await poll()

    expect(secrets).toEqual(['secret-1', 'secret-2'])
    expect(authorizations).toEqual(['Bearer token-1', 'Bearer token-2'])
  })

  test('secret reference reads the given environment', async () => {
    const { checker, config, poll, secrets } = await setupAfterOnePoll()

    checker.updateIntegration(withSecret(config.integration, '${ROTATED_SECRET}'), { env: { ROTATED_SECRET: 'secret-3' } })
    await poll()

    expect(secrets).toEqual(['secret-1', 'secret-3'])
  })

  test('invalid URL is rejected and changes nothing', async () => {
    const { checker, config, poll, secrets, authorizations } = await setupAfterOnePoll()
    const invalid = { ...config.integration, config: { ...config.integration.config, auth_url: 'http://auth.example.com/token', client_secret: 'secret-2' } }

    let thrown: unknown
    try {
      checker.updateIntegration(invalid)
    } catch (error) {
      thrown = error
    }
    await poll()

    expect(thrown).toBeInstanceOf(ConfigError)
    expect((thrown as ConfigError).key).toBe('integration.config.auth_url')
    expect((thrown as ConfigError).message).toContain('plain http is allowed only for loopback hosts')
    expect(secrets).toEqual(['secret-1'])
    expect(authorizations).toEqual(['Bearer token-1', 'Bearer token-1'])
  })

  test('rule must still name the integration', () => {
    const { checker, config } = setup()
    const renamed = { ...config.integration, id: 'ws1-new', name: 'Workspace ONE new' }

    expect(() => checker.updateIntegration(renamed)).toThrow(ConfigError)
    expect(() => checker.updateIntegration(renamed)).toThrow(/rules\[0\]\.input\.connection_id: "ws1" does not name the integration/)
  })

  test('missing secret names the environment variable', () => {
    const { checker, config } = setup()
    const withoutSecret = withSecret(config.integration, '')

    expect(() => checker.updateIntegration(withoutSecret, { env: {} })).toThrow(/integration\.config\.client_secret: missing.*WS1_CLIENT_SECRET/)
  })
})
