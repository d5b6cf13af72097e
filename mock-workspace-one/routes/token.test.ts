import pino from 'pino'
import request from 'supertest'
import { createMockServer } from '../app'
import { createManualClock } from '../clock'

const START = Date.UTC(2024, 4, 20, 8)

function setup() {
  const clock = createManualClock(START)
  const { app, emulator } = createMockServer({
    clock,
    seed: 11,
    logger: pino({ level: 'silent' }),
    tenants: [
      {
        name: 'Acme',
        tenantCode: 'CODE-A',
        tokenLifetimeSeconds: 900,
        clients: [
          { clientId: 'client-a', clientSecret: 'secret a+/=' },
          { clientId: 'client-off', clientSecret: 'secret-off', enabled: false },
        ],
        devices: [{ id: 1, serialNumber: 'FAKE1' }],
      },
    ],
  })
  return { app, emulator, clock }
}

function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString()
}

describe('token endpoint', () => {
  it('issues a bearer token from form credentials', async () => {
    const { app } = setup()
    const response = await request(app)
      .post('/connect/token')
      .type('form')
      .send(form({ grant_type: 'client_credentials', client_id: 'client-a', client_secret: 'secret a+/=' }))
    expect(response.status).toBe(200)
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(response.headers['cache-control']).toBe('no-store')
    expect(Object.keys(response.body)).toEqual(['access_token', 'token_type', 'expires_in'])
    expect(response.body.token_type).toBe('Bearer')
    expect(response.body.expires_in).toBe(900)
    expect(response.body.access_token).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  it('accepts HTTP Basic client authentication on /oauth/token', async () => {
    const { app } = setup()
    const basic = Buffer.from(`client-a:${encodeURIComponent('secret a+/=')}`).toString('base64')
    const response = await request(app)
      .post('/oauth/token')
      .set('Authorization', `Basic ${basic}`)
      .type('form')
      .send('grant_type=client_credentials')
    expect(response.status).toBe(200)
  })

  it('issues the same tokens for the same seed', async () => {
    const tokens: string[] = []
    for (let run = 0; run < 2; run++) {
      const { app } = setup()
      const response = await request(app)
        .post('/connect/token')
        .type('form')
        .send(form({ grant_type: 'client_credentials', client_id: 'client-a', client_secret: 'secret a+/=' }))
      tokens.push(response.body.access_token as string)
    }
    expect(tokens[1]).toBe(tokens[0])
  })

  it.each([
    ['an unknown client', { grant_type: 'client_credentials', client_id: 'nobody', client_secret: 'x' }],
    ['a wrong secret', { grant_type: 'client_credentials', client_id: 'client-a', client_secret: 'nope' }],
    ['a disabled client', { grant_type: 'client_credentials', client_id: 'client-off', client_secret: 'secret-off' }],
  ])('rejects %s as invalid_client', async (_case, fields) => {
    const { app } = setup()
    const response = await request(app).post('/connect/token').type('form').send(form(fields))
    expect(response.status).toBe(400)
    expect(response.body).toEqual({ error: 'invalid_client' })
  })

  it.each([
    ['a missing grant type', { client_id: 'client-a', client_secret: 'x' }, 'invalid_request', 'grant_type'],
    ['another grant type', { grant_type: 'password', client_id: 'a' }, 'unsupported_grant_type', 'password'],
    ['a missing client id', { grant_type: 'client_credentials' }, 'invalid_request', 'client_id'],
    ['a missing secret', { grant_type: 'client_credentials', client_id: 'client-a' }, 'invalid_request', 'client_secret'],
  ])('rejects %s', async (_case, fields, error, named) => {
    const { app } = setup()
    const response = await request(app).post('/connect/token').type('form').send(form(fields))
    expect(response.status).toBe(400)
    expect(response.body.error).toBe(error)
    expect(response.body.error_description).toContain(named)
  })

  it.each(['grant_type', 'client_id', 'client_secret'])('rejects a repeated %s', async (name) => {
    const { app } = setup()
    const fields = new URLSearchParams({ grant_type: 'client_credentials', client_id: 'client-a', client_secret: 'secret a+/=' })
    fields.append(name, fields.get(name) ?? '')
    const response = await request(app).post('/connect/token').type('form').send(fields.toString())
    expect(response.status).toBe(400)
    expect(response.body.error).toBe('invalid_request')
    expect(response.body.error_description).toContain(`${name} appears more than once`)
  })

  it('rejects a JSON body as invalid_request', async () => {
    const { app } = setup()
    const response = await request(app)
      .post('/connect/token')
      .send({ grant_type: 'client_credentials', client_id: 'client-a', client_secret: 'secret a+/=' })
    expect(response.status).toBe(400)
    expect(response.body.error).toBe('invalid_request')
    expect(response.body.error_description).toContain('application/x-www-form-urlencoded')
  })

  it('rejects a body over 1 MB', async () => {
    const { app } = setup()
    const response = await request(app)
      .post('/connect/token')
      .type('form')
      .send(form({ grant_type: 'client_credentials', client_id: 'x'.repeat(1_100_000) }))
    expect(response.status).toBe(413)
    expect(response.body.error).toBe('invalid_request')
    expect(response.body.error_description).toContain('1 MB')
  })

  it('rejects GET with 405', async () => {
    const { app } = setup()
    const response = await request(app).get('/connect/token')
    expect(response.status).toBe(405)
    expect(response.headers['allow']).toBe('POST')
  })

  it('invalidates tokens on rotation and revocation', async () => {
    const { app, emulator } = setup()
    const issue = async (secret: string) =>
      request(app)
        .post('/connect/token')
        .type('form')
        .send(form({ grant_type: 'client_credentials', client_id: 'client-a', client_secret: secret }))
    const first = (await issue('secret a+/=')).body.access_token as string
    const newSecret = emulator.tenant().rotateSecret('client-a')
    const stale = await request(app).get('/API/system/info').set('Authorization', `Bearer ${first}`)
    expect(stale.status).toBe(401)
    expect((await issue('secret a+/=')).status).toBe(400)
    const second = (await issue(newSecret)).body.access_token as string
    expect((await request(app).get('/API/system/info').set('Authorization', `Bearer ${second}`)).status).toBe(200)
    emulator.tenant().revokeTokens('client-a')
    expect((await request(app).get('/API/system/info').set('Authorization', `Bearer ${second}`)).status).toBe(401)
  })

  it('journals the request without the secret', async () => {
    const { app, emulator } = setup()
    await request(app)
      .post('/connect/token')
      .type('form')
      .send(form({ grant_type: 'client_credentials', client_id: 'client-a', client_secret: 'secret a+/=' }))
    const [entry] = emulator.journal()
    expect(entry?.path).toBe('/connect/token')
    expect(entry?.clientId).toBe('client-a')
    expect(entry?.tokenId).toMatch(/^tok_/)
    expect(JSON.stringify(entry)).not.toContain('secret a')
  })
})

describe('token endpoint faults', () => {
  const credentials = form({ grant_type: 'client_credentials', client_id: 'client-a', client_secret: 'secret a+/=' })

  it('fails the nth token request with a status', async () => {
    const { app, emulator } = setup()
    emulator.addFault({ id: 'auth-down', match: { path: '/connect/token', nth: 1 }, effect: { type: 'status', status: 503 } })
    const failed = await request(app).post('/connect/token').type('form').send(credentials)
    expect(failed.status).toBe(503)
    expect(failed.body).toEqual({ error: 'temporarily_unavailable' })
    expect(emulator.journal().at(-1)?.faultId).toBe('auth-down')
    const retried = await request(app).post('/connect/token').type('form').send(credentials)
    expect(retried.status).toBe(200)
  })

  it('rate-limits token requests of one client', async () => {
    const { app, emulator } = setup()
    emulator.addFault({ match: { path: '/connect/token', clientId: 'client-a' }, effect: { type: 'rate-limit', retryAfter: 5 } })
    const response = await request(app).post('/connect/token').type('form').send(credentials)
    expect(response.status).toBe(429)
    expect(response.headers['retry-after']).toBe('5')
    expect(emulator.journal().at(-1)?.retryAfter).toBe('5')
  })

  it('leaves tokens alone for API path faults', async () => {
    const { app, emulator } = setup()
    emulator.addFault({ match: { path: '/mdm/devices/search' }, effect: { type: 'reset' } })
    const response = await request(app).post('/connect/token').type('form').send(credentials)
    expect(response.status).toBe(200)
  })

  it('truncates a token response', async () => {
    const { app, emulator } = setup()
    emulator.addFault({ match: { path: '/connect/token' }, effect: { type: 'truncated-body', bytes: 10 } })
    await expect(request(app).post('/connect/token').type('form').send(credentials)).rejects.toThrow()
  })
})
