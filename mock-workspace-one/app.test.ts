import http from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import pino from 'pino'
import request from 'supertest'
import { createMockServer } from './app'
import { createManualClock } from './clock'
import { UNKNOWN_ROUTE_HTML } from './errors'

const START = Date.UTC(2024, 4, 20, 8)
const TOKEN_FORM = 'grant_type=client_credentials&client_id=client-a&client_secret=secret-a'

function setup() {
  return createMockServer({
    clock: createManualClock(START),
    seed: 5,
    logger: pino({ level: 'silent' }),
    tenants: [
      {
        name: 'Acme',
        tenantCode: 'CODE-A',
        clients: [{ clientId: 'client-a', clientSecret: 'secret-a' }],
        devices: [{ id: 1, serialNumber: 'FAKE1' }],
      },
    ],
  })
}

async function fetchToken(app: express.Express, path = '/connect/token'): Promise<string> {
  const response = await request(app).post(path).type('form').send(TOKEN_FORM)
  expect(response.status).toBe(200)
  return response.body.access_token as string
}

/** Sends one request with a raw request target, such as an absolute-form URL. */
function sendRawTarget(
  server: http.Server,
  target: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  const { port } = server.address() as AddressInfo
  return new Promise((resolve, reject) => {
    const outgoing = http.request({ host: '127.0.0.1', port, path: target, headers }, (response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        body += chunk
      })
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
    })
    outgoing.on('error', reject)
    outgoing.end()
  })
}

describe('request dispatch', () => {
  it('serves /API in any letter case', async () => {
    const { app } = setup()
    const token = await fetchToken(app)
    for (const prefix of ['/API', '/api', '/Api']) {
      const response = await request(app)
        .get(`${prefix}/mdm/devices?searchby=Serialnumber&id=FAKE1`)
        .set('Authorization', `Bearer ${token}`)
      expect(response.status).toBe(200)
      expect(response.body.SerialNumber).toBe('FAKE1')
    }
  })

  it('journals the full /API path and query', async () => {
    const { app, emulator } = setup()
    const token = await fetchToken(app)
    await request(app).get('/API/mdm/devices?searchby=Serialnumber&id=FAKE1').set('Authorization', `Bearer ${token}`)
    const entry = emulator.journal({ path: '/mdm/devices' }).at(-1)
    expect(entry?.path).toBe('/API/mdm/devices')
    expect(entry?.query).toEqual({ searchby: 'Serialnumber', id: 'FAKE1' })
  })

  it('sends the ASP.NET 404 page for /API alone', async () => {
    const { app } = setup()
    for (const path of ['/API', '/API?page=1', '/API/']) {
      const response = await request(app).get(path)
      expect(response.status).toBe(404)
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8')
    }
  })

  it('serves the ASP.NET 404 page outside /API too', async () => {
    const { app } = setup()
    for (const path of ['/', '/nothing', '/apix/mdm/devices']) {
      const response = await request(app).get(path)
      expect(response.status).toBe(404)
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8')
      expect(response.text).toBe(UNKNOWN_ROUTE_HTML)
    }
  })

  it('keeps JSON 404s in the control API', async () => {
    const { app } = setup()
    const response = await request(app).get('/__admin/nothing')
    expect(response.status).toBe(404)
    expect(response.body.error).toBe('not_found')
  })

  it('issues tokens on both paths, any case, trailing slash', async () => {
    const { app } = setup()
    for (const path of ['/connect/token', '/oauth/token', '/Connect/Token', '/connect/token/']) {
      const response = await request(app).post(path).type('form').send(TOKEN_FORM)
      expect(response.status).toBe(200)
      expect(response.body.token_type).toBe('Bearer')
    }
  })

  it('rejects GET on the token path with 405', async () => {
    const { app } = setup()
    const response = await request(app).get('/connect/token')
    expect(response.status).toBe(405)
    expect(response.headers['allow']).toBe('POST')
  })

  it('serves an absolute-form /API target through the mounted router', async () => {
    const { app } = setup()
    const token = await fetchToken(app)
    const server = app.listen(0, '127.0.0.1')
    await new Promise<void>((resolve) => server.once('listening', () => resolve()))
    try {
      const { port } = server.address() as AddressInfo
      const headers = { authorization: `Bearer ${token}` }
      const origin = await sendRawTarget(server, '/API/mdm/devices?searchby=Serialnumber&id=FAKE1', headers)
      const absolute = await sendRawTarget(
        server,
        `http://127.0.0.1:${port}/API/mdm/devices?searchby=Serialnumber&id=FAKE1`,
        headers,
      )
      expect(origin.status).toBe(200)
      expect(absolute.status).toBe(200)
      expect(JSON.parse(absolute.body).SerialNumber).toBe('FAKE1')
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })

  it('works when mounted below a parent app', async () => {
    const { app, emulator } = setup()
    const parent = express()
    parent.use('/ws1', app)
    const token = await fetchToken(parent as express.Express, '/ws1/connect/token')
    const response = await request(parent)
      .get('/ws1/API/mdm/devices?searchby=Serialnumber&id=FAKE1')
      .set('Authorization', `Bearer ${token}`)
    expect(response.status).toBe(200)
    expect(response.body.SerialNumber).toBe('FAKE1')
    const entry = emulator.journal({ path: '/mdm/devices' }).at(-1)
    expect(entry?.path).toBe('/ws1/API/mdm/devices')
  })
})

/** Sends one request with a fixed Host header and returns its status, headers without `date`, and body. */
function sendAndRead(
  port: number,
  method: string,
  target: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const options = { host: '127.0.0.1', port, method, path: target, headers: { ...headers, host: 'emulator.test' } }
    const outgoing = http.request(options, (response) => {
      let text = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        text += chunk
      })
      response.on('end', () => {
        const { date: _date, ...rest } = response.headers
        resolve({ status: response.statusCode ?? 0, headers: rest, body: text })
      })
    })
    outgoing.on('error', reject)
    outgoing.end(body)
  })
}

type Exchange = Awaited<ReturnType<typeof sendAndRead>>

/** Sends the same requests to the Express app and to the listener of two equal emulators. */
async function sendToBoth(
  prepare: (emulator: ReturnType<typeof setup>['emulator']) => void,
): Promise<{ exchanges: Exchange[][]; journals: unknown[][] }> {
  const viaApp = setup()
  const viaListener = setup()
  prepare(viaApp.emulator)
  prepare(viaListener.emulator)
  const servers = [http.createServer(viaApp.app), http.createServer(viaListener.handleRequest)]
  for (const server of servers) {
    server.listen(0, '127.0.0.1')
    await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  }
  try {
    const form = { 'content-type': 'application/x-www-form-urlencoded' }
    const ports = servers.map((server) => (server.address() as AddressInfo).port)
    const exchanges = await Promise.all(
      ports.map(async (port) => {
        const results = [await sendAndRead(port, 'POST', '/connect/token', form, TOKEN_FORM)]
        const token = (JSON.parse(results[0]?.body ?? '{}') as { access_token?: string }).access_token
        const bearer = { authorization: `Bearer ${token ?? ''}`, accept: 'application/json;version=1' }
        const requests: Array<[string, string, Record<string, string>, string?]> = [
          ['GET', '/API/mdm/devices?searchby=Serialnumber&id=FAKE1', bearer],
          ['GET', '/api/mdm/devices?SearchBy=serialnumber&ID=FAKE1&id=other', bearer],
          ['GET', '/API/mdm/devices?searchby=Serialnumber&id=FAKE1#fragment', bearer],
          ['GET', '/API/mdm/devices?searchby=Serialnumber&id=NOPE', bearer],
          ['GET', '/API/mdm/devices?searchby=Colour&id=FAKE1', bearer],
          ['GET', '/API?x=1', bearer],
          ['GET', '/API/mdm/devices/1', bearer],
          ['DELETE', '/API/mdm/devices/search', bearer],
          ['GET', '/API/mdm/devices/search?page=0&pagesize=5', { authorization: 'Bearer wrong' }],
          [
            'POST',
            '/API/mdm/devices?searchby=Serialnumber',
            { ...bearer, 'content-type': 'application/json' },
            '{"BulkValues":{"Value":["FAKE1"]}}',
          ],
          ['POST', '/API/mdm/devices?searchby=Serialnumber', { ...bearer, 'content-type': 'application/json' }, '{'],
          ['POST', '/connect/token', form, TOKEN_FORM],
          ['POST', '/oauth/token', form, 'grant_type=password'],
          ['POST', '/connect/token', { 'content-type': 'text/plain' }, TOKEN_FORM],
        ]
        for (const [method, target, headers, body] of requests) {
          results.push(await sendAndRead(port, method, target, headers, body))
        }
        return results
      }),
    )
    const journals = [viaApp.emulator, viaListener.emulator].map((emulator) =>
      emulator.journal().map(({ durationMs: _durationMs, ...entry }) => entry),
    )
    return { exchanges, journals }
  } finally {
    for (const server of servers) {
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

describe('handleRequest listener', () => {
  it('answers like the Express app', async () => {
    const { exchanges, journals } = await sendToBoth(() => {})
    expect(exchanges[0]?.map((exchange) => exchange.status)).toEqual([
      200, 200, 200, 200, 404, 422, 404, 200, 405, 401, 200, 400, 200, 400, 400,
    ])
    expect(exchanges[1]).toEqual(exchanges[0])
    expect(journals[0]).toHaveLength(15)
    expect(journals[1]).toEqual(journals[0])
  })

  it('applies fault rules like the Express app', async () => {
    const { exchanges, journals } = await sendToBoth((emulator) => {
      emulator.faults.add({ match: { path: '/connect/token', nth: 2 }, effect: { type: 'rate-limit', retryAfter: 7 } })
      emulator.faults.add({ match: { path: '/connect/token', nth: 3 }, effect: { type: 'malformed-json' } })
      emulator.faults.add({ match: { path: '/mdm/devices', nth: 1 }, effect: { type: 'html-error', status: 503 } })
      emulator.faults.add({
        match: { path: '/mdm/devices', nth: 2 },
        effect: { type: 'status', status: 502, body: 'down', headers: { 'X-Fault': 'yes' } },
      })
    })
    const statuses = exchanges[0]?.map((exchange) => exchange.status)
    expect(statuses?.slice(1, 3)).toEqual([503, 502])
    expect(statuses?.slice(12, 15)).toEqual([429, 400, 400])
    expect(() => JSON.parse(exchanges[0]?.[14]?.body ?? '')).toThrow(SyntaxError)
    expect(exchanges[1]).toEqual(exchanges[0])
    expect(journals[1]).toEqual(journals[0])
  })
})

describe('handleRequest errors', () => {
  it('sends 500 for a thrown error', async () => {
    const { emulator, handleRequest } = setup()
    const server = http.createServer(handleRequest)
    server.listen(0, '127.0.0.1')
    await new Promise<void>((resolve) => server.once('listening', () => resolve()))
    try {
      const { port } = server.address() as AddressInfo
      const form = { 'content-type': 'application/x-www-form-urlencoded' }
      const token = await sendAndRead(port, 'POST', '/connect/token', form, TOKEN_FORM)
      const accessToken = (JSON.parse(token.body) as { access_token: string }).access_token
      const store = emulator.tenant('Acme').store
      jest.spyOn(store, 'lookup').mockImplementation(() => {
        throw new Error('lookup failed')
      })
      jest.spyOn(emulator, 'findClient').mockImplementation(() => {
        throw new Error('client table failed')
      })
      const lookup = await sendAndRead(port, 'GET', '/API/mdm/devices?searchby=Serialnumber&id=FAKE1', {
        authorization: `Bearer ${accessToken}`,
      })
      expect(lookup.status).toBe(500)
      expect(JSON.parse(lookup.body).errorCode).toBe(500)
      const failedToken = await sendAndRead(port, 'POST', '/connect/token', form, TOKEN_FORM)
      expect(failedToken.status).toBe(500)
      expect(JSON.parse(failedToken.body).error).toBe('invalid_request')
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })
})
