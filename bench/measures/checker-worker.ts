/**
 * Checker child process: matches and evaluates N Cloudflare devices against
 * N Workspace ONE records through the checker's public API, both as a whole
 * poll and through the pure `evaluateDevices`. The pages come from a real
 * emulator once, then an in-memory `fetch` serves them, so the timed poll
 * does no socket I/O. Prints one JSON line.
 *
 * Usage: node checker-worker.js COUNT SEED
 */
import pino from 'pino'
import { startMockServer } from '../../mock-workspace-one'
import {
  evaluateDevices,
  PostureChecker,
  readWs1Record,
  type CheckerConfig,
  type CloudflareDevice,
  type CloudflarePlatform,
  type Ws1Record,
} from '../../posture-checker'
import { profileIfRequested } from '../lib/profile'

export interface CheckerRunResult {
  records: number
  devices: number
  pages: number
  pageBytes: number
  /** First poll, with cold JIT and an empty result cache. */
  firstPollMs: number
  /** Second poll over the same pages: the steady state. */
  pollMs: number
  /** JSON.parse of every page body once, in the same process. */
  parseMs: number
  /** readWs1Record over every parsed row. */
  readMs: number
  /** evaluateDevices (matching and evaluation) over every record, after one untimed call. */
  evaluateMs: number
  evaluateResults: number
  results: number
  passed: number
  complete: boolean
}

const CLIENT = { clientId: 'checker-bench', clientSecret: 'checker-bench-secret' }
const PAGE_SIZE = 500

const PLATFORMS: Record<string, CloudflarePlatform> = {
  WinRT: 'windows',
  WindowsPc: 'windows',
  AppleOsX: 'mac',
  Apple: 'ios',
  Android: 'android',
  Linux: 'linux',
  ChromeBook: 'chromeos',
}

/** Fetches every search page of a fresh emulator with `count` generated devices. */
async function capturePages(count: number, seed: number): Promise<{ origin: string; pages: string[] }> {
  const server = await startMockServer({
    logger: pino({ level: 'silent' }),
    seed,
    tenants: [
      {
        name: 'Checker Bench',
        tenantCode: 'checker-bench-code',
        clients: [CLIENT],
        tokenLifetimeSeconds: 86_400,
        throttlePerMinute: 0,
        dailyQuota: 0,
        fleet: { count, seed },
      },
    ],
  })
  try {
    const tokenResponse = await fetch(server.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret }),
    })
    const token = ((await tokenResponse.json()) as { access_token: string }).access_token
    const pages: string[] = []
    for (let page = 0; page * PAGE_SIZE < count; page += 1) {
      const response = await fetch(`${server.apiUrl}/mdm/devices/search?page=${page}&pagesize=${PAGE_SIZE}`, {
        headers: { authorization: `Bearer ${token}`, accept: 'application/json;version=2' },
      })
      if (response.status !== 200) {
        throw new Error(`Search page ${page} returned ${response.status}: ${(await response.text()).slice(0, 200)}`)
      }
      pages.push(await response.text())
    }
    return { origin: server.url, pages }
  } finally {
    await server.close()
  }
}

/** A Cloudflare device per Workspace ONE record, with the same serial, so every device matches. */
function mirrorDevices(pages: string[]): CloudflareDevice[] {
  const devices: CloudflareDevice[] = []
  for (const body of pages) {
    const page = JSON.parse(body) as { Devices: Array<{ SerialNumber?: string; Platform?: string }> }
    for (const record of page.Devices) {
      devices.push({
        device_id: `cf-${devices.length + 1}`,
        serial_number: record.SerialNumber ?? null,
        platform: PLATFORMS[record.Platform ?? ''] ?? 'windows',
      })
    }
  }
  return devices
}

/** Creates a fetch that serves the token and search requests from memory and rejects anything else. */
function inMemoryFetch(origin: string, pages: string[]): typeof fetch {
  const tokenBody = JSON.stringify({ access_token: 'in-memory-token', token_type: 'Bearer', expires_in: 86_400 })
  const jsonHeaders = { 'content-type': 'application/json; charset=utf-8' }
  return async (input, _init) => {
    const url = new URL(requestUrl(input))
    if (url.origin !== origin) {
      throw new Error(`In-memory fetch has no response for ${url.href}`)
    }
    if (url.pathname === '/connect/token') {
      return new Response(tokenBody, { status: 200, headers: jsonHeaders })
    }
    if (url.pathname.toLowerCase() === '/api/mdm/devices/search') {
      const body = pages[Number(url.searchParams.get('page') ?? '0')]
      return body === undefined ? new Response(null, { status: 204 }) : new Response(body, { status: 200, headers: jsonHeaders })
    }
    throw new Error(`In-memory fetch has no response for ${url.href}`)
  }
}

async function main(): Promise<void> {
  const count = Number(process.argv[2])
  const seed = Number(process.argv[3] ?? '1')
  if (!Number.isInteger(count) || count < 1) {
    throw new Error(`Invalid device count "${process.argv[2] ?? ''}": pass a whole number of at least 1.`)
  }

  const { origin, pages } = await capturePages(count, seed)
  const devices = mirrorDevices(pages)
  const config: CheckerConfig = {
    integration: {
      name: 'Workspace ONE',
      type: 'workspace_one',
      interval: '5m',
      config: { api_url: `${origin}/API`, auth_url: `${origin}/connect/token`, client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret },
    },
    rules: [{ name: 'WS1 compliant', type: 'workspace_one', input: { compliance_status: 'compliant', connection_id: 'Workspace ONE' } }],
    devices,
  }
  const checker = new PostureChecker(config, {
    fetch: inMemoryFetch(origin, pages),
    logger: pino({ level: 'silent' }),
    pageSize: PAGE_SIZE,
  })

  let started = process.hrtime.bigint()
  await checker.poll()
  const firstPollMs = Number(process.hrtime.bigint() - started) / 1e6

  started = process.hrtime.bigint()
  const outcome = await checker.poll()
  const pollMs = Number(process.hrtime.bigint() - started) / 1e6

  started = process.hrtime.bigint()
  const parsedPages: Array<{ Devices: unknown[] }> = []
  for (const body of pages) {
    parsedPages.push(JSON.parse(body) as { Devices: unknown[] })
  }
  const parseMs = Number(process.hrtime.bigint() - started) / 1e6
  const parsedRecords = parsedPages.reduce((sum, page) => sum + page.Devices.length, 0)

  started = process.hrtime.bigint()
  const records: Ws1Record[] = []
  for (const page of parsedPages) {
    for (const row of page.Devices) {
      const record = readWs1Record(row)
      if (record !== undefined) {
        records.push(record)
      }
    }
  }
  const readMs = Number(process.hrtime.bigint() - started) / 1e6

  const now = Date.now()
  evaluateDevices(records, devices, config.rules, {}, now)
  started = process.hrtime.bigint()
  const evaluated = await profileIfRequested(async () => evaluateDevices(records, devices, config.rules, {}, now))
  const evaluateMs = Number(process.hrtime.bigint() - started) / 1e6

  const result: CheckerRunResult = {
    records: parsedRecords,
    devices: devices.length,
    pages: pages.length,
    pageBytes: pages.reduce((sum, body) => sum + Buffer.byteLength(body), 0),
    firstPollMs,
    pollMs,
    parseMs,
    readMs,
    evaluateMs,
    evaluateResults: evaluated.length,
    results: outcome.results.length,
    passed: outcome.results.filter((posture) => posture.PostureEvaluatedResult).length,
    complete: outcome.complete,
  }
  process.stdout.write(`${JSON.stringify(result)}\n`)
}

main().catch((error: unknown) => {
  process.stderr.write(`checker worker failed: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exitCode = 1
})

/** Returns the URL text of a fetch input. */
function requestUrl(input: string | URL | Request): string {
  if (typeof input === 'string') return input
  if (input instanceof URL) return input.href
  return input.url
}
