/**
 * Scenario engine child process: runs one virtual day of 5-minute polls
 * through the harness's `runScenario`, then measures two floors in the same
 * process: `JSON.parse` of the same search page bodies, as many times as the
 * run fetched them, and fetching plus parsing those pages with no checker
 * work. Prints one JSON line.
 *
 * Usage: node scenario-worker.js COUNT DURATION
 */
import pino from 'pino'
import { runScenario, startScenarioEmulator, VirtualClock, type LoadedScenario, type ScenarioSpec } from '../../harness'
import { decodeBody } from '../../posture-checker/http'
import { profileIfRequested } from '../lib/profile'

export interface ScenarioRunResult {
  devices: number
  duration: string
  wallMs: number
  virtualMs: number
  polls: number
  requests: number
  /** Response bytes over all requests, from the emulator's journal. */
  responseBytes: number
  searchPagesFetched: number
  /** JSON.parse of the same page bodies, as many times as the run fetched each. */
  parseFloorMs: number
  /** Milliseconds to fetch the same pages over loopback and parse them, with no checker work. */
  fetchParseFloorMs: number
  flagChanges: number
  passed: boolean
  error: string | null
}

const CLIENT = { client_id: 'day-bench', client_secret: 'day-bench-secret' }
const SERIAL_PREFIX = 'DAY'

/** Serial the generator gives device `index` (1-based) of a fleet of `count` with a serial prefix. */
function generatedSerial(index: number, count: number): string {
  return `${SERIAL_PREFIX}${String(index).padStart(Math.max(5, String(count).length), '0')}`
}

/**
 * A fleet of `count` devices polled every 5 minutes for `durationHours`.
 * One device's Disk Encryption flag is set to pass at t=0, then flips
 * between fail and pass every hour, so each step is a real change.
 */
export function buildDayScenario(count: number, durationHours: number): ScenarioSpec {
  const serial = generatedSerial(1, count)
  const timeline: NonNullable<ScenarioSpec['timeline']> = [{ at: '0s', set_policy: { serial, policy: 'Disk Encryption', result: 'pass' } }]
  for (let hour = 1; hour < durationHours; hour += 1) {
    timeline.push({ at: `${hour}h`, set_policy: { serial, policy: 'Disk Encryption', result: hour % 2 === 1 ? 'fail' : 'pass' } })
  }
  // Polls run at t=0 and every interval up to and including the duration, so 24h minus one interval gives 288 polls.
  const durationMinutes = durationHours * 60 - 5
  return {
    name: `one virtual day over ${count} devices`,
    seed: 1,
    duration: `${durationMinutes}m`,
    tenant: { clients: [CLIENT], rate_limit: { per_minute: 0, daily: 0 }, token_lifetime: '1h' },
    fleet: {
      generate: {
        count,
        seed: 3,
        serial_prefix: SERIAL_PREFIX,
        policies: [
          { name: 'Disk Encryption', failure_rate: 0.05 },
          { name: 'Passcode', failure_rate: 0.05 },
          { name: 'OS Version', failure_rate: 0.1 },
        ],
      },
    },
    cloudflare: {
      integration: { name: 'Workspace ONE', interval: '5m' },
      rules: [{ name: 'WS1 compliant', input: { compliance_status: 'compliant' } }],
      mirror_fleet: true,
    },
    timeline,
    expect: { polls_run: durationMinutes / 5 + 1 },
  }
}

/** Handle on an emulator of the scenario's starting fleet, with a token, for the floors. */
interface FloorServer {
  searchUrl(page: string): string
  headers: Record<string, string>
}

/** Starts the scenario's emulator (same seed, fleet and virtual start), gets a token and runs `task`. */
async function withScenarioEmulator<T>(spec: ScenarioSpec, task: (server: FloorServer) => Promise<T>): Promise<T> {
  const loaded: LoadedScenario = { file: '<bench>', name: spec.name, index: 0, spec }
  const clock = new VirtualClock({ start: Date.parse(spec.start ?? '2024-01-01T00:00:00Z') })
  const server = await startScenarioEmulator(loaded, { clock: clock.serverView(), logger: pino({ level: 'silent' }) })
  try {
    const tokenResponse = await fetch(server.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', ...CLIENT }),
    })
    const token = ((await tokenResponse.json()) as { access_token: string }).access_token
    return await task({
      searchUrl: (page) => `${server.apiUrl}/mdm/devices/search?page=${page}&pagesize=500`,
      headers: { authorization: `Bearer ${token}`, accept: 'application/json;version=2' },
    })
  } finally {
    await server.close()
  }
}

/** Fetches every search page once, with the checker's query and Accept header. */
async function capturePages(server: FloorServer, pageCount: number): Promise<Map<string, string>> {
  const pages = new Map<string, string>()
  for (let page = 0; page < pageCount; page += 1) {
    const response = await fetch(server.searchUrl(String(page)), { headers: server.headers })
    if (response.status === 200) {
      pages.set(String(page), await response.text())
    }
  }
  return pages
}

/** Times `JSON.parse` of the captured body of each page in `fetchedPages`. */
function timeParse(bodies: Map<string, string>, fetchedPages: readonly string[]): number {
  const started = process.hrtime.bigint()
  for (const page of fetchedPages) {
    const body = bodies.get(page)
    if (body === undefined) {
      throw new Error(`The run fetched search page ${page}, which the parse-floor capture did not return.`)
    }
    JSON.parse(body)
  }
  return Number(process.hrtime.bigint() - started) / 1e6
}

/**
 * Times fetching each page in `fetchedPages` over loopback and parsing it, the
 * way the checker reads a page (fetch, the whole body, decodeBody, JSON.parse),
 * one request at a time and with nothing else done with the data.
 */
async function timeFetchAndParse(server: FloorServer, fetchedPages: readonly string[]): Promise<number> {
  const started = process.hrtime.bigint()
  for (const page of fetchedPages) {
    const response = await fetch(server.searchUrl(page), { headers: server.headers })
    JSON.parse(decodeBody(await response.arrayBuffer()))
  }
  return Number(process.hrtime.bigint() - started) / 1e6
}

async function main(): Promise<void> {
  const count = Number(process.argv[2])
  const durationHours = Number(process.argv[3] ?? '24')
  if (!Number.isInteger(count) || count < 1) {
    throw new Error(`Invalid device count "${process.argv[2] ?? ''}": pass a whole number of at least 1.`)
  }
  if (!Number.isInteger(durationHours) || durationHours < 1) {
    throw new Error(`Invalid duration "${process.argv[3] ?? ''}": pass whole virtual hours, at least 1.`)
  }

  const spec = buildDayScenario(count, durationHours)
  const started = process.hrtime.bigint()
  const report = await profileIfRequested(() => runScenario(spec, { logger: pino({ level: 'silent' }) }))
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6

  // Page numbers of every search page the checker received, in order.
  const fetchedPages: string[] = []
  let responseBytes = 0
  let requests = 0
  for (const poll of report.polls) {
    for (const entry of poll.journal) {
      requests += 1
      responseBytes += entry.responseBytes
      if (/devices\/search$/i.test(entry.path) && entry.status === 200) {
        const page = Object.entries(entry.query).find(([key]) => key.toLowerCase() === 'page')?.[1] ?? '0'
        fetchedPages.push(page)
      }
    }
  }

  const { parseFloorMs, fetchParseFloorMs } = await withScenarioEmulator(spec, async (server) => {
    const bodies = await capturePages(server, Math.ceil(count / 500) + 1)
    // Fetch first: the parse floor blocks the event loop for longer than the server keeps an idle connection open.
    const fetchParseFloorMs = await timeFetchAndParse(server, fetchedPages)
    return { parseFloorMs: timeParse(bodies, fetchedPages), fetchParseFloorMs }
  })

  const result: ScenarioRunResult = {
    devices: count,
    duration: spec.duration ?? '',
    wallMs,
    virtualMs: report.timings.virtualMs,
    polls: report.timings.polls,
    requests,
    responseBytes,
    searchPagesFetched: fetchedPages.length,
    parseFloorMs,
    fetchParseFloorMs,
    flagChanges: Math.max(0, (spec.timeline?.length ?? 0) - 1),
    passed: report.passed,
    error: report.error ?? (report.passed ? null : report.expectations.filter((check) => !check.passed).map((check) => `${check.title}: expected ${check.expected}, got ${check.actual}`).join('; ')),
  }
  process.stdout.write(`${JSON.stringify(result)}\n`)
}

main().catch((error: unknown) => {
  process.stderr.write(`scenario worker failed: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exitCode = 1
})
