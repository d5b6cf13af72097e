import http from 'node:http'
import https from 'node:https'
import pino from 'pino'
import { createManualClock } from './clock'
import { createSelfSignedCertificate, startMockServer } from './index'
import type { RunningMockServer } from './types'

const servers: RunningMockServer[] = []

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

async function start(options: Parameters<typeof startMockServer>[0] = {}): Promise<RunningMockServer> {
  const server = await startMockServer({ logger: pino({ level: 'silent' }), ...options })
  servers.push(server)
  return server
}

describe('startMockServer', () => {
  it('listens on loopback with the default tenant', async () => {
    const server = await start({ clock: createManualClock(Date.UTC(2024, 0, 1)), seed: 3 })
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(server.apiUrl).toBe(`${server.url}/API`)
    expect(server.tokenUrl).toBe(`${server.url}/connect/token`)
    expect(server.adminUrl).toBe(`${server.url}/__admin`)
    expect(server.tenant.name).toBe('Acme Corp')
    expect(server.tenant.deviceCount()).toBe(20)
    expect(server.tenant.tenantCode).toMatch(/^[A-Za-z0-9+/]{43}=$/)
  })

  it('serves a token and a search page end to end', async () => {
    const server = await start({ seed: 3 })
    const secret = server.emulator.snapshot() as { tenants: Array<{ clients: Array<{ clientSecret: string }> }> }
    const clientSecret = secret.tenants[0]?.clients[0]?.clientSecret ?? ''
    const tokenResponse = await fetch(server.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: 'ws1sim-client',
        client_secret: clientSecret,
      }),
    })
    expect(tokenResponse.status).toBe(200)
    const { access_token: accessToken } = (await tokenResponse.json()) as { access_token: string }
    const search = await fetch(`${server.apiUrl}/mdm/devices/search?pagesize=5`, {
      headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json;version=2' },
    })
    expect(search.status).toBe(200)
    const body = (await search.json()) as { Devices: unknown[]; Total: number }
    expect(body.Devices).toHaveLength(5)
    expect(body.Total).toBe(20)
  })

  it('closes with keep-alive connections open', async () => {
    const server = await start()
    const agent = new http.Agent({ keepAlive: true })
    await new Promise<void>((resolve, reject) => {
      const req = http.get(`${server.url}/API/system/info`, { agent }, (res) => {
        res.resume()
        res.on('end', () => resolve())
      })
      req.on('error', reject)
    })
    await server.close()
    agent.destroy()
  })

  it('serves HTTPS to a client that trusts the certificate', async () => {
    const tls = await createSelfSignedCertificate()
    const server = await start({ tls })
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    const status = await new Promise<number>((resolve, reject) => {
      const req = https.request(`${server.apiUrl}/system/info`, { ca: tls.cert }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.on('error', reject)
      req.end()
    })
    expect(status).toBe(401)
  })

  it('rejects a client that does not trust the certificate', async () => {
    const tls = await createSelfSignedCertificate()
    const server = await start({ tls })
    const failure = await new Promise<Error>((resolve) => {
      const req = https.request(`${server.apiUrl}/system/info`, (res) => {
        res.resume()
        resolve(new Error('connected without trusting the certificate'))
      })
      req.on('error', resolve)
      req.end()
    })
    expect((failure as NodeJS.ErrnoException).code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT')
  })
})
