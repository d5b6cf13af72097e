import pino from 'pino'
import request from 'supertest'
import { createMockServer } from '../app'
import { createManualClock } from '../clock'
import type { DeviceSpec, FaultRule } from '../types'

const START = Date.UTC(2024, 4, 20, 8)

function devices(count: number): DeviceSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    id: i + 1,
    serialNumber: `FAKE${String(i + 1).padStart(5, '0')}`,
  }))
}

async function setup(rules: FaultRule[], deviceCount = 5) {
  const clock = createManualClock(START)
  const { app, emulator } = createMockServer({
    clock,
    seed: 5,
    logger: pino({ level: 'silent' }),
    tenants: [
      {
        name: 'Acme',
        tenantCode: 'CODE-A',
        clients: [{ clientId: 'client-a', clientSecret: 'secret-a' }],
        devices: devices(deviceCount),
      },
    ],
  })
  for (const rule of rules) emulator.addFault(rule)
  const tokenResponse = await request(app)
    .post('/connect/token')
    .type('form')
    .send('grant_type=client_credentials&client_id=client-a&client_secret=secret-a')
  const bearer = `Bearer ${tokenResponse.body.access_token as string}`
  const search = (query = 'page=0&pagesize=2') =>
    request(app).get(`/API/mdm/devices/search?${query}`).set('Authorization', bearer)
  return { app, emulator, clock, bearer, search }
}

describe('fault effects', () => {
  it('replaces the nth page with a status and body', async () => {
    const html = "<!DOCTYPE html><html><body><h1>Server Error in '/API' Application.</h1></body></html>"
    const { search, emulator } = await setup([
      {
        id: 'page1-504',
        match: { path: '/API/mdm/devices/search', query: { page: '1' }, nth: 1 },
        effect: { type: 'status', status: 504, body: html, headers: { 'Content-Type': 'text/html; charset=utf-8' } },
      },
    ])
    const failed = await search('page=1&pagesize=2')
    expect(failed.status).toBe(504)
    expect(failed.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(failed.text).toBe(html)
    expect(failed.headers['x-correlation-id']).toBeDefined()
    const retried = await search('page=1&pagesize=2')
    expect(retried.status).toBe(200)
    expect(emulator.journal().at(-2)?.faultId).toBe('page1-504')
  })

  it('sends a WS1 error body for a bare status', async () => {
    const { search } = await setup([{ effect: { type: 'status', status: 500 } }])
    const response = await search()
    expect(response.status).toBe(500)
    expect(response.body.errorCode).toBe(500)
  })

  it('rate-limits with Retry-After in seconds or as a date', async () => {
    const { search, emulator } = await setup([
      { match: { nth: 1 }, effect: { type: 'rate-limit', retryAfter: 7 } },
      { match: { nth: 2 }, effect: { type: 'rate-limit', retryAfter: 'Mon, 20 May 2024 08:01:00 GMT' } },
    ])
    const seconds = await search()
    expect(seconds.status).toBe(429)
    expect(seconds.headers['retry-after']).toBe('7')
    const date = await search()
    expect(date.headers['retry-after']).toBe('Mon, 20 May 2024 08:01:00 GMT')
    expect(emulator.journal().at(-2)?.retryAfter).toBe('7')
  })

  it('delays on the injected clock', async () => {
    const { search, clock, emulator } = await setup([{ effect: { type: 'delay', ms: 2500 } }])
    let done = false
    const pending = search().then((response) => {
      done = true
      return response
    })
    while (emulator.faults.list()[0]?.fired !== 1) {
      await new Promise((resolve) => setImmediate(resolve))
    }
    expect(done).toBe(false)
    clock.advance(2500)
    const response = await pending
    expect(response.status).toBe(200)
  })

  it('resets the connection', async () => {
    const { search, emulator } = await setup([{ effect: { type: 'reset' } }])
    await expect(search()).rejects.toThrow()
    expect(emulator.journal().at(-1)?.status).toBe(0)
  })

  it('sends malformed JSON', async () => {
    const { search } = await setup([{ effect: { type: 'malformed-json' } }])
    const response = await search().buffer(true).parse((res, callback) => {
      let text = ''
      res.on('data', (chunk: Buffer) => (text += chunk.toString()))
      res.on('end', () => callback(null, text))
    })
    expect(response.status).toBe(200)
    expect(() => JSON.parse(response.body as string)).toThrow()
  })

  it('truncates the body and drops the connection', async () => {
    const { search, emulator } = await setup([{ effect: { type: 'truncated-body', bytes: 20 } }])
    await expect(search()).rejects.toThrow()
    expect(emulator.journal().at(-1)?.responseBytes).toBe(20)
  })

  it('sends an HTML error page', async () => {
    const { search } = await setup([{ effect: { type: 'html-error', status: 504 } }])
    const response = await search()
    expect(response.status).toBe(504)
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(response.text).toContain('Server Error')
  })

  it('answers a page with a premature 204', async () => {
    const { search } = await setup([{ match: { query: { page: '1' } }, effect: { type: 'premature-204' } }])
    const response = await search('page=1&pagesize=2')
    expect(response.status).toBe(204)
    expect(response.headers['content-type']).toBeUndefined()
  })

  it('rewrites Total', async () => {
    const { search } = await setup([{ effect: { type: 'wrong-total', total: 1173 } }])
    const response = await search()
    expect(response.body.Total).toBe(1173)
    expect(response.body.Devices).toHaveLength(2)
  })

  it('sends an empty page with the envelope', async () => {
    const { search } = await setup([{ effect: { type: 'empty-page' } }])
    const response = await search('page=1&pagesize=2')
    expect(response.status).toBe(200)
    expect(response.body).toEqual({ Devices: [], Page: 1, PageSize: 2, Total: 5 })
  })

  it('drops the envelope', async () => {
    const { search } = await setup([{ effect: { type: 'missing-envelope' } }])
    const response = await search()
    expect(response.body).toEqual({ Items: [] })
  })

  it('expires the presented token', async () => {
    const { search, emulator } = await setup([{ match: { nth: 2 }, effect: { type: 'expire-token' } }])
    expect((await search()).status).toBe(200)
    const expired = await search()
    expect(expired.status).toBe(401)
    expect(emulator.journal().at(-1)?.tokenRejected).toBe(true)
    expect((await search()).status).toBe(401)
  })

  it('changes the fleet between pages', async () => {
    const { search } = await setup([
      {
        match: { query: { page: '1' } },
        effect: { type: 'mutate-fleet', devices: [{ serialNumber: 'NEW00001' }], removeSerials: ['FAKE00001'] },
        times: 1,
      },
    ])
    const first = await search('page=0&pagesize=2')
    expect(first.body.Devices[0].SerialNumber).toBe('FAKE00001')
    const second = await search('page=1&pagesize=2')
    expect(second.body.Total).toBe(5)
    expect(second.body.Devices.map((device: { SerialNumber: string }) => device.SerialNumber)).toEqual([
      'FAKE00004',
      'FAKE00005',
    ])
  })

  it('matches faults by client id', async () => {
    const { search } = await setup([{ match: { clientId: 'someone-else' }, effect: { type: 'status', status: 503 } }])
    expect((await search()).status).toBe(200)
  })
})
