import pino from 'pino'
import request from 'supertest'
import { createMockServer } from '../app'
import { createManualClock } from '../clock'
import { UNKNOWN_ROUTE_HTML } from '../errors'
import type { TenantSpec } from '../types'

const START = Date.UTC(2024, 4, 20, 8)
const UUID_A1 = '6f1d1c2e-0000-4000-8000-000000000001'

function tenantA(overrides: Partial<TenantSpec> = {}): TenantSpec {
  return {
    name: 'Acme',
    tenantCode: 'CODE-A',
    clients: [{ clientId: 'client-a', clientSecret: 'secret-a' }],
    admins: [{ username: 'apiadmin', password: 'admin-pass' }],
    devices: [
      { id: 1001, uuid: UUID_A1, serialNumber: 'FAKE00001', udid: 'A1B2C3', macAddress: 'ABABABABAB01' },
      { id: 1002, serialNumber: 'FAKE00002', enrollmentStatus: 'Enrolled' },
      { id: 1003, serialNumber: 'FAKE00003', policies: [{ name: 'Encryption', compliant: false }] },
    ],
    ...overrides,
  }
}

const tenantB: TenantSpec = {
  name: 'Globex',
  tenantCode: 'CODE-B',
  clients: [{ clientId: 'client-b', clientSecret: 'secret-b' }],
  devices: [{ id: 2001, serialNumber: 'GLOBEX0001' }],
}

function setup(tenantOverrides: Partial<TenantSpec> = {}, tenants?: TenantSpec[]) {
  const clock = createManualClock(START)
  const { app, emulator } = createMockServer({
    clock,
    seed: 7,
    logger: pino({ level: 'silent' }),
    tenants: tenants ?? [tenantA(tenantOverrides), tenantB],
  })
  const token = async (clientId = 'client-a', clientSecret = 'secret-a'): Promise<string> => {
    const response = await request(app)
      .post('/connect/token')
      .type('form')
      .send({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret })
    expect(response.status).toBe(200)
    return response.body.access_token as string
  }
  return { app, emulator, clock, token }
}

describe('device search', () => {
  it('serves a v2 page with the real headers', async () => {
    const { app, token } = setup()
    const response = await request(app)
      .get('/API/mdm/devices/search?page=0&pagesize=2')
      .set('Authorization', `Bearer ${await token()}`)
      .set('Accept', 'application/json;version=2')
    expect(response.status).toBe(200)
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(response.headers['x-correlation-id']).toMatch(/^[0-9a-f-]{36}$/)
    expect(response.headers['x-api-version']).toBe('v2')
    expect(response.headers['api-supported-versions']).toBe('1, 2, 3')
    expect(response.headers['x-ratelimit-limit']).toBe('250000')
    expect(response.headers['x-ratelimit-remaining']).toBe('249999')
    expect(response.headers['strict-transport-security']).toBeDefined()
    expect(response.headers['x-content-type-options']).toBe('nosniff')
    expect(response.headers['etag']).toBeUndefined()
    expect(response.headers['x-powered-by']).toBeUndefined()
    expect(response.body.Devices).toHaveLength(2)
    expect(response.body.Page).toBe(0)
    expect(response.body.Total).toBe(3)
  })

  it('accepts the lowercase /api prefix', async () => {
    const { app, token } = setup()
    const response = await request(app)
      .get('/api/mdm/devices/search')
      .set('Authorization', `Bearer ${await token()}`)
    expect(response.status).toBe(200)
    expect(response.headers['x-api-version']).toBe('v1')
  })

  it('serves v3 snake case on version=3', async () => {
    const { app, token } = setup()
    const response = await request(app)
      .get('/API/mdm/devices/search')
      .set('Authorization', `Bearer ${await token()}`)
      .set('Accept', 'application/json;version=3')
    expect(response.status).toBe(200)
    expect(response.headers['x-api-version']).toBe('v3')
    expect(response.body.devices).toHaveLength(3)
    expect(response.body.total).toBe(3)
  })

  it('falls back to the highest served version', async () => {
    const { app, token } = setup()
    const response = await request(app)
      .get('/API/mdm/devices/search')
      .set('Authorization', `Bearer ${await token()}`)
      .set('Accept', 'application/json;version=9')
    expect(response.status).toBe(200)
    expect(response.headers['x-api-version']).toBe('v3')
  })

  it('sends 204 past the last page with headers but no content type', async () => {
    const { app, token } = setup()
    const bearer = `Bearer ${await token()}`
    const response = await request(app)
      .get('/API/mdm/devices/search?page=5&pagesize=500')
      .set('Authorization', bearer)
    expect(response.status).toBe(204)
    expect(response.text).toBe('')
    expect(response.headers['content-type']).toBeUndefined()
    expect(response.headers['content-length']).toBeUndefined()
    expect(response.headers['x-correlation-id']).toBeDefined()
    expect(response.headers['x-api-version']).toBe('v1')
    expect(response.headers['api-supported-versions']).toBe('1, 2, 3')
    expect(response.headers['x-ratelimit-remaining']).toBe('249999')
  })

  it('names an invalid page size', async () => {
    const { app, token } = setup()
    const response = await request(app)
      .get('/API/mdm/devices/search?pagesize=abc')
      .set('Authorization', `Bearer ${await token()}`)
    expect(response.status).toBe(400)
    expect(response.body.errorCode).toBe(400)
    expect(response.body.message).toContain('pagesize')
    expect(response.body.activityId).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('sends the same bytes for the same seed', async () => {
    const bodies: string[] = []
    for (let run = 0; run < 2; run++) {
      const { app, token } = setup()
      const response = await request(app)
        .get('/API/mdm/devices/search')
        .set('Authorization', `Bearer ${await token()}`)
      bodies.push(`${response.headers['x-correlation-id']} ${response.text}`)
    }
    expect(bodies[1]).toBe(bodies[0])
  })
})

describe('authentication', () => {
  it('rejects a missing Authorization header', async () => {
    const { app } = setup()
    const response = await request(app).get('/API/mdm/devices/search')
    expect(response.status).toBe(401)
    expect(response.body.errorCode).toBe(1005)
  })

  it('rejects an expired token with the default body', async () => {
    const { app, clock, token, emulator } = setup({ tokenLifetimeSeconds: 60 })
    const bearer = `Bearer ${await token()}`
    clock.advance(60_000)
    const response = await request(app).get('/API/mdm/devices/search').set('Authorization', bearer)
    expect(response.status).toBe(401)
    expect(response.body.errorCode).toBe(1005)
    expect(response.body.message).toBe('The access token is invalid or has expired.')
    expect(response.headers['www-authenticate']).toContain('invalid_token')
    const last = emulator.journal().at(-1)
    expect(last?.tokenRejected).toBe(true)
    expect(last?.clientId).toBe('client-a')
  })

  it('uses a configured invalid-token response', async () => {
    const clock = createManualClock(START)
    const { app } = createMockServer({
      clock,
      tenants: [tenantA()],
      invalidTokenResponse: { status: 401, body: { message: 'Unauthorized' } },
    })
    const response = await request(app).get('/API/mdm/devices/search').set('Authorization', 'Bearer nope')
    expect(response.status).toBe(401)
    expect(response.body).toEqual({ message: 'Unauthorized' })
  })

  it('rejects an invalid configured status', () => {
    expect(() => createMockServer({ tenants: [tenantA()], invalidTokenResponse: { status: 200 } })).toThrow(
      'invalidTokenResponse.status',
    )
  })

  it('rejects a wrong tenant code with 403 1013', async () => {
    const { app, token } = setup()
    const response = await request(app)
      .get('/API/mdm/devices/search')
      .set('Authorization', `Bearer ${await token()}`)
      .set('aw-tenant-code', 'WRONGKEY')
    expect(response.status).toBe(403)
    expect(response.body.errorCode).toBe(1013)
    expect(response.body.message).toBe('Tenant code WRONGKEY does not identify an Organization Group.')
  })

  it('requires the tenant code when configured', async () => {
    const { app, token } = setup({ requireTenantCodeWithOAuth: true })
    const bearer = `Bearer ${await token()}`
    const without = await request(app).get('/API/mdm/devices/search').set('Authorization', bearer)
    expect(without.status).toBe(400)
    expect(without.body.message).toContain('aw-tenant-code')
    const withCode = await request(app)
      .get('/API/mdm/devices/search')
      .set('Authorization', bearer)
      .set('aw-tenant-code', 'CODE-A')
    expect(withCode.status).toBe(200)
  })

  it('accepts legacy Basic with the tenant code', async () => {
    const { app } = setup()
    const response = await request(app)
      .get('/API/mdm/devices/search')
      .auth('apiadmin', 'admin-pass')
      .set('aw-tenant-code', 'CODE-A')
    expect(response.status).toBe(200)
  })

  it('rejects wrong Basic credentials with 401 1005', async () => {
    const { app } = setup()
    const response = await request(app)
      .get('/API/mdm/devices/search')
      .auth('apiadmin', 'wrong')
      .set('aw-tenant-code', 'CODE-A')
    expect(response.status).toBe(401)
    expect(response.body.errorCode).toBe(1005)
    expect(response.body.message).toContain('user not found : apiadmin')
  })

  it('keeps tenants apart', async () => {
    const { app, token } = setup()
    const bearerB = `Bearer ${await token('client-b', 'secret-b')}`
    const search = await request(app).get('/API/mdm/devices/search').set('Authorization', bearerB)
    expect(search.body.Total).toBe(1)
    expect(search.body.Devices[0].SerialNumber).toBe('GLOBEX0001')
    const foreign = await request(app).get('/API/mdm/devices/1001').set('Authorization', bearerB)
    expect(foreign.status).toBe(404)
    const foreignCode = await request(app)
      .get('/API/mdm/devices/search')
      .set('Authorization', bearerB)
      .set('aw-tenant-code', 'CODE-A')
    expect(foreignCode.status).toBe(403)
  })
})

describe('device lookups', () => {
  it('finds one device by serial, key in any case', async () => {
    const { app, token } = setup()
    const bearer = `Bearer ${await token()}`
    for (const key of ['searchby', 'searchBy']) {
      const response = await request(app)
        .get(`/API/mdm/devices?${key}=Serialnumber&id=FAKE00002`)
        .set('Authorization', bearer)
      expect(response.status).toBe(200)
      expect(response.body.Id.Value).toBe(1002)
      expect(response.headers['api-supported-versions']).toBe('1')
    }
  })

  it('serves a changed device, not a cached body', async () => {
    const { app, emulator, token } = setup()
    const bearer = `Bearer ${await token()}`
    const lookup = () =>
      request(app).get('/API/mdm/devices?searchby=Serialnumber&id=FAKE00002').set('Authorization', bearer)
    const before = await lookup()
    expect(before.body.DeviceFriendlyName).not.toBe('Renamed laptop')
    expect((await lookup()).text).toBe(before.text)
    emulator.tenant('Acme').store.update({ serialNumber: 'FAKE00002' }, { friendlyName: 'Renamed laptop' })
    const after = await lookup()
    expect(after.status).toBe(200)
    expect(after.body.DeviceFriendlyName).toBe('Renamed laptop')
  })

  it('names a bad searchby value', async () => {
    const { app, token } = setup()
    const response = await request(app)
      .get('/API/mdm/devices?searchby=Colour&id=red')
      .set('Authorization', `Bearer ${await token()}`)
    expect(response.status).toBe(422)
    expect(response.body.message).toContain("'Colour'")
  })

  it('sends 404 5061 for a missing serial', async () => {
    const { app, token } = setup()
    const response = await request(app)
      .get('/API/mdm/devices?searchby=Serialnumber&id=NOPE')
      .set('Authorization', `Bearer ${await token()}`)
    expect(response.status).toBe(404)
    expect(response.body.errorCode).toBe(5061)
  })

  it('serves v1 by numeric id even on version=2', async () => {
    const { app, token } = setup()
    const response = await request(app)
      .get('/API/mdm/devices/1001')
      .set('Authorization', `Bearer ${await token()}`)
      .set('Accept', 'application/json;version=2')
    expect(response.status).toBe(200)
    expect(response.headers['x-api-version']).toBe('v1')
    expect(response.headers['api-supported-versions']).toBe('1')
    expect(response.body.SerialNumber).toBe('FAKE00001')
  })

  it('shows device changes on the next lookup', async () => {
    const { app, token, emulator } = setup()
    const bearer = `Bearer ${await token()}`
    const before = await request(app).get('/API/mdm/devices/1001').set('Authorization', bearer)
    expect(before.body.Model).not.toBe('Changed Model')
    emulator.tenant().updateDevice({ id: 1001 }, { model: 'Changed Model' })
    const after = await request(app).get('/API/mdm/devices/1001').set('Authorization', bearer)
    expect(after.body.Model).toBe('Changed Model')
  })

  it('serves v2 camel case by uuid', async () => {
    const { app, token } = setup()
    const response = await request(app)
      .get(`/API/mdm/devices/${UUID_A1}`)
      .set('Authorization', `Bearer ${await token()}`)
      .set('Accept', 'application/json;version=2')
    expect(response.status).toBe(200)
    expect(response.headers['x-api-version']).toBe('v2')
    expect(response.body.serialNumber).toBe('FAKE00001')
  })

  it('serves v3 by uuid on version=3', async () => {
    const { app, token } = setup()
    const response = await request(app)
      .get(`/API/mdm/devices/${UUID_A1}`)
      .set('Authorization', `Bearer ${await token()}`)
      .set('Accept', 'application/json;version=3')
    expect(response.status).toBe(200)
    expect(response.headers['x-api-version']).toBe('v3')
    expect(response.body.serial_number).toBe('FAKE00001')
  })

  it('sends 5061 for an unknown uuid', async () => {
    const { app, token } = setup()
    const response = await request(app)
      .get('/API/mdm/devices/6f1d1c2e-0000-4000-8000-0000000000ff')
      .set('Authorization', `Bearer ${await token()}`)
      .set('Accept', 'application/json;version=2')
    expect(response.status).toBe(404)
    expect(response.body.errorCode).toBe(5061)
    expect(response.body.message).toBe('Device not found for this request.')
  })

  it('serves compliance by id and by search', async () => {
    const { app, token } = setup()
    const bearer = `Bearer ${await token()}`
    const byId = await request(app).get('/API/mdm/devices/1003/compliance').set('Authorization', bearer)
    expect(byId.status).toBe(200)
    expect(byId.body.DeviceCompliance[0].PolicyName).toBe('Encryption')
    expect(byId.body.DeviceCompliance[0].CompliantStatus).toBe(false)
    const bySearch = await request(app)
      .get('/API/mdm/devices/compliance?searchBy=Serialnumber&id=FAKE00003')
      .set('Authorization', bearer)
    expect(bySearch.status).toBe(200)
    expect(bySearch.body.DeviceCompliance).toHaveLength(1)
    const badPage = await request(app).get('/API/mdm/devices/1003/compliance?page=-1').set('Authorization', bearer)
    expect(badPage.status).toBe(400)
    expect(badPage.body.message).toContain('page')
  })

  it('serves security by id and by search', async () => {
    const { app, token } = setup()
    const bearer = `Bearer ${await token()}`
    const byId = await request(app).get('/API/mdm/devices/1001/security').set('Authorization', bearer)
    expect(byId.status).toBe(200)
    expect(typeof byId.body).toBe('object')
    const bySearch = await request(app)
      .get('/API/mdm/devices/security?searchby=Udid&id=A1B2C3')
      .set('Authorization', bearer)
    expect(bySearch.status).toBe(200)
    expect(bySearch.text).toBe(byId.text)
  })

  it('looks up serials in bulk', async () => {
    const { app, token } = setup()
    const response = await request(app)
      .post('/API/mdm/devices?searchby=Serialnumber')
      .set('Authorization', `Bearer ${await token()}`)
      .send({ BulkValues: { Value: ['FAKE00001', 'FAKE00003'] } })
    expect(response.status).toBe(200)
    expect(response.body.Devices).toHaveLength(2)
  })

  it('names a malformed bulk body', async () => {
    const { app, token } = setup()
    const bearer = `Bearer ${await token()}`
    const notJson = await request(app)
      .post('/API/mdm/devices?searchby=Serialnumber')
      .set('Authorization', bearer)
      .set('Content-Type', 'application/json')
      .send('{"BulkValues":')
    expect(notJson.status).toBe(400)
    expect(notJson.body.message).toContain('not valid JSON')
    const wrongType = await request(app)
      .post('/API/mdm/devices?searchby=Serialnumber')
      .set('Authorization', bearer)
      .send({ BulkValues: { Value: [1] } })
    expect(wrongType.status).toBe(400)
    expect(wrongType.body.message).toContain('BulkValues.Value[0]')
  })

  it('rejects a body over 1 MB', async () => {
    const { app, token } = setup()
    const response = await request(app)
      .post('/API/mdm/devices?searchby=Serialnumber')
      .set('Authorization', `Bearer ${await token()}`)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ BulkValues: { Value: ['x'.repeat(1_100_000)] } }))
    expect(response.status).toBe(413)
    expect(response.body.errorCode).toBe(413)
  })

  it('serves lite search and system info', async () => {
    const { app, token } = setup()
    const bearer = `Bearer ${await token()}`
    const lite = await request(app).get('/API/mdm/devices/litesearch').set('Authorization', bearer)
    expect(lite.status).toBe(200)
    const info = await request(app).get('/API/system/info').set('Authorization', bearer)
    expect(info.status).toBe(200)
    expect(info.body.ProductVersion).toBeDefined()
  })
})

describe('routing', () => {
  it('sends the ASP.NET page for an unknown route', async () => {
    const { app, token } = setup()
    const response = await request(app)
      .get('/API/mdm/devices/serialnumber/FAKE00001')
      .set('Authorization', `Bearer ${await token()}`)
    expect(response.status).toBe(404)
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(response.text).toBe(UNKNOWN_ROUTE_HTML)
  })

  it('sends 405 for a known path with another method', async () => {
    const { app, token } = setup()
    const response = await request(app)
      .delete('/API/mdm/devices/search')
      .set('Authorization', `Bearer ${await token()}`)
    expect(response.status).toBe(405)
    expect(response.headers['allow']).toBe('GET')
  })
})

describe('rate limits', () => {
  it('counts every request, 204s included', async () => {
    const { app, token } = setup({ dailyQuota: 3 })
    const bearer = `Bearer ${await token()}`
    const first = await request(app).get('/API/mdm/devices/search').set('Authorization', bearer)
    const second = await request(app).get('/API/mdm/devices/search?page=9').set('Authorization', bearer)
    const third = await request(app).get('/API/mdm/devices/search').set('Authorization', bearer)
    const fourth = await request(app).get('/API/mdm/devices/search').set('Authorization', bearer)
    expect(first.headers['x-ratelimit-remaining']).toBe('2')
    expect(second.status).toBe(204)
    expect(second.headers['x-ratelimit-remaining']).toBe('1')
    expect(third.headers['x-ratelimit-remaining']).toBe('0')
    expect(third.headers['x-ratelimit-reset']).toBe(first.headers['x-ratelimit-reset'])
    expect(fourth.status).toBe(429)
    expect(fourth.headers['retry-after']).toBe('86400')
    expect(fourth.body.message).toContain('daily API quota')
  })

  it('throttles per minute and recovers', async () => {
    const { app, token, clock } = setup({ throttlePerMinute: 1 })
    const bearer = `Bearer ${await token()}`
    await request(app).get('/API/mdm/devices/search').set('Authorization', bearer)
    clock.advance(20_000)
    const throttled = await request(app).get('/API/mdm/devices/search').set('Authorization', bearer)
    expect(throttled.status).toBe(429)
    expect(throttled.headers['retry-after']).toBe('40')
    clock.advance(40_000)
    const after = await request(app).get('/API/mdm/devices/search').set('Authorization', bearer)
    expect(after.status).toBe(200)
  })
})

describe('journal', () => {
  it('records requests without secrets', async () => {
    const { app, token, emulator } = setup()
    const accessToken = await token()
    await request(app)
      .get('/API/mdm/devices/search?page=0')
      .set('Authorization', `Bearer ${accessToken}`)
      .set('aw-tenant-code', 'CODE-A')
    const entries = emulator.journal()
    expect(entries.map((entry) => entry.path)).toEqual(['/connect/token', '/API/mdm/devices/search'])
    const search = entries[1]
    expect(search?.query).toEqual({ page: '0' })
    expect(search?.tenant).toBe('Acme')
    expect(search?.clientId).toBe('client-a')
    expect(search?.tokenId).toMatch(/^tok_/)
    expect(search?.rateLimitRemaining).toBe(249999)
    const serialized = JSON.stringify(entries)
    expect(serialized).not.toContain(accessToken)
    expect(serialized).not.toContain('secret-a')
    expect(serialized).not.toContain('CODE-A')
  })
})

describe('logging', () => {
  it('logs completed requests without secrets', async () => {
    const lines: string[] = []
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) })
    const { app } = createMockServer({ clock: createManualClock(START), seed: 7, logger, tenants: [tenantA()] })
    const tokenResponse = await request(app)
      .post('/connect/token')
      .type('form')
      .send('grant_type=client_credentials&client_id=client-a&client_secret=secret-a')
    const accessToken = tokenResponse.body.access_token as string
    await request(app)
      .get('/API/mdm/devices/search')
      .set('Authorization', `Bearer ${accessToken}`)
      .set('aw-tenant-code', 'CODE-A')
    await request(app).get('/__admin/tenants')
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>)
    const completed = records.filter((record) => record['msg'] === 'request completed')
    expect(completed.map((record) => record['path'])).toEqual(['/connect/token', '/API/mdm/devices/search'])
    expect(completed[1]?.['status']).toBe(200)
    expect(completed[1]?.['method']).toBe('GET')
    expect(typeof completed[1]?.['durationMs']).toBe('number')
    expect(records.some((record) => record['msg'] === 'control request completed')).toBe(true)
    const text = lines.join('\n')
    expect(text).not.toContain(accessToken)
    expect(text).not.toContain('secret-a')
  })
})
