/**
 * Measures 1 and 2: emulator throughput and latency under autocannon or wrk, next
 * to an Express app replaying the same bytes (the ceiling) and, where Java
 * is installed, WireMock 3 serving the same bytes from stub files. Every
 * server runs pinned to the server core, every load generator to the client
 * core, and all traffic stays on 127.0.0.1.
 */
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import type { TenantSpec } from '../../mock-workspace-one/types'
import { captureResponse, sendRequest, type BenchRequest, type CapturedResponse } from '../http/capture'
import type { LoadGenerator, LoadRequest, LoadResult } from '../http/load-worker'
import { wrkVersion } from '../http/wrk'
import { ensureWiremockJar, startWiremock, writeStubs } from '../http/wiremock'
import { detectJava } from '../lib/machine'
import { CLIENT_CORE, delay, ManagedProcess, readMemory, runJsonChild, SERVER_CORE } from '../lib/proc'
import { renderProfile } from '../lib/profile'
import { formatMiB, metLabel, table, type Measure, type MeasureContext, type MeasureReport, type TargetCheck } from '../lib/report'
import { formatNumber, formatSummary, summarize } from '../lib/stats'

const CONNECTION_COUNTS = [10, 50] as const

/** Devices per tenant: more than one 500-device page, so the search page is one of several. */
const FLEET_SIZE = 5000

const PLAIN_TENANT = { name: 'BenchPlain', tenantCode: 'bench-plain-code', clientId: 'bench-plain', clientSecret: 'bench-plain-secret' }
const POLICY_TENANT = { name: 'BenchPolicies', tenantCode: 'bench-policies-code', clientId: 'bench-policies', clientSecret: 'bench-policies-secret' }
const LOOKUP_SERIAL_PREFIX = 'BENCH'

type ServerName = 'emulator' | 'ceiling' | 'wiremock'

interface Settings {
  durationSeconds: number
  warmupSeconds: number
  /** Unrecorded load per request and server before the first run, so JIT compilers settle. */
  initialWarmupSeconds: { node: number; jvm: number }
  profileSeconds: number
  generator: LoadGenerator
  /** Load generator name and version for the method text, for example "wrk 4.1.0". */
  generatorLabel: string
}

/** Minimum ratios of the emulator's req/s to each comparison server, per request. */
const TARGETS: Record<string, { ceiling: number; wiremock: number }> = {
  token: { ceiling: 0.8, wiremock: 1.5 },
  lookup: { ceiling: 0.8, wiremock: 1.2 },
  search: { ceiling: 0.9, wiremock: 3 },
  'search-compliance': { ceiling: 0.9, wiremock: 3 },
}

function tenantSpecs(): TenantSpec[] {
  const common = { tokenLifetimeSeconds: 86_400, throttlePerMinute: 0, dailyQuota: 0 }
  return [
    {
      name: PLAIN_TENANT.name,
      tenantCode: PLAIN_TENANT.tenantCode,
      clients: [{ clientId: PLAIN_TENANT.clientId, clientSecret: PLAIN_TENANT.clientSecret }],
      ...common,
      // An empty policy list makes every device never evaluated, so no record has a ComplianceSummary.
      fleet: { count: FLEET_SIZE, seed: 11, serialPrefix: LOOKUP_SERIAL_PREFIX, unenrolledRate: 0, policies: [] },
    },
    {
      name: POLICY_TENANT.name,
      tenantCode: POLICY_TENANT.tenantCode,
      clients: [{ clientId: POLICY_TENANT.clientId, clientSecret: POLICY_TENANT.clientSecret }],
      ...common,
      fleet: {
        count: FLEET_SIZE,
        seed: 12,
        serialPrefix: 'POLICY',
        unenrolledRate: 0,
        policies: [
          { name: 'Disk Encryption', failureRate: 0.1 },
          { name: 'Passcode', failureRate: 0.05 },
          { name: 'OS Version', failureRate: 0.1, pendingRate: 0.02 },
        ],
        quirks: { neverEvaluated: 0 },
      },
    },
  ]
}

function tokenRequest(clientId: string, clientSecret: string): BenchRequest {
  const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }).toString()
  return {
    id: 'token',
    label: 'token request (POST /connect/token)',
    method: 'POST',
    path: '/connect/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body,
  }
}

async function fetchToken(origin: string, clientId: string, clientSecret: string): Promise<string> {
  const reply = await sendRequest(origin, tokenRequest(clientId, clientSecret))
  const text = reply.body.toString('utf8')
  if (reply.status !== 200) {
    throw new Error(`Token request for client ${clientId} failed with status ${reply.status}: ${text.slice(0, 300)}`)
  }
  const token = (JSON.parse(text) as { access_token?: unknown }).access_token
  if (typeof token !== 'string') {
    throw new Error(`Token response for client ${clientId} has no access_token string: ${text.slice(0, 300)}`)
  }
  return token
}

/** Serial of a device in the plain tenant, read from its first search page. */
function pickSerial(searchBody: Buffer): string {
  const page = JSON.parse(searchBody.toString('utf8')) as { Devices?: Array<{ SerialNumber?: unknown }> }
  const devices = page.Devices ?? []
  const device = devices[Math.floor(devices.length / 2)]
  if (typeof device?.SerialNumber !== 'string' || device.SerialNumber === '') {
    throw new Error('The plain tenant search page has no device with a serial number to look up.')
  }
  return device.SerialNumber
}

function searchRequest(id: string, label: string, token: string): BenchRequest {
  const authorization = `Bearer ${token}`
  return {
    id,
    label,
    method: 'GET',
    path: '/API/mdm/devices/search?page=0&pagesize=500',
    headers: { authorization, accept: 'application/json;version=2' },
    routeHeader: authorization,
  }
}

function lookupRequest(token: string, serial: string): BenchRequest {
  return {
    id: 'lookup',
    label: 'lookup by serial (GET /API/mdm/devices?searchby=Serialnumber)',
    method: 'GET',
    path: `/API/mdm/devices?searchby=Serialnumber&id=${encodeURIComponent(serial)}`,
    headers: { authorization: `Bearer ${token}`, accept: 'application/json;version=1' },
  }
}

/** Counts the devices of a search page and those that carry a ComplianceSummary. */
function describePage(body: string): { devices: number; withSummary: number; bytes: number } {
  const page = JSON.parse(body) as { Devices?: Array<Record<string, unknown>> }
  const devices = page.Devices ?? []
  return {
    devices: devices.length,
    withSummary: devices.filter((device) => device['ComplianceSummary'] !== undefined).length,
    bytes: Buffer.byteLength(body),
  }
}

interface ServerHandle {
  name: ServerName
  label: string
  process: ManagedProcess
  url: string
}

async function startNodeServer(
  context: MeasureContext,
  name: ServerName,
  label: string,
  script: string,
  argument: string,
  env?: NodeJS.ProcessEnv,
): Promise<ServerHandle> {
  const child = new ManagedProcess({
    name: label,
    core: SERVER_CORE,
    command: process.execPath,
    args: [path.join(context.benchDist, 'http', script), argument],
    env: { ...process.env, ...env },
  })
  try {
    const ready = await child.readReadyLine<{ url: string }>(120_000)
    return { name, label, process: child, url: ready.url }
  } catch (error) {
    await child.stop()
    throw error
  }
}

function runLoad(context: MeasureContext, request: LoadRequest): Promise<LoadResult> {
  return runJsonChild<LoadResult>({
    name: 'load generator',
    core: CLIENT_CORE,
    command: process.execPath,
    args: [path.join(context.benchDist, 'http', 'load-worker.js'), JSON.stringify(request)],
    timeoutMs: (request.durationSeconds + request.warmupSeconds) * 1000 + 60_000,
  })
}

function loadRequestFor(
  server: ServerHandle,
  request: BenchRequest,
  connections: number,
  durationSeconds: number,
  warmupSeconds: number,
  generator: LoadGenerator,
): LoadRequest {
  const load: LoadRequest = {
    generator,
    url: new URL(request.path, server.url).href,
    method: request.method,
    headers: request.headers,
    connections,
    durationSeconds,
    warmupSeconds,
  }
  if (request.body !== undefined) {
    load.body = request.body
  }
  return load
}

/** Checks that a replay server sends exactly the captured status and body for every request. */
async function verifyReplay(server: ServerHandle, requests: BenchRequest[], captures: CapturedResponse[]): Promise<void> {
  for (const [index, request] of requests.entries()) {
    const capture = captures[index] as CapturedResponse
    const reply = await sendRequest(server.url, request)
    const expected = Buffer.from(capture.bodyBase64, 'base64')
    if (reply.status !== capture.status || !reply.body.equals(expected)) {
      throw new Error(
        `${server.label} does not replay "${request.label}" exactly: status ${reply.status} (expected ${capture.status}), ${reply.body.length} body bytes (expected ${expected.length}).`,
      )
    }
  }
}

/** One measured run: the load generator's result plus the server's CPU time over the run. */
interface RunResult extends LoadResult {
  /** Server CPU seconds over the run length. */
  serverCpuShare: number
  /** Server CPU microseconds per completed request: its cost per request whichever side was the limit. */
  serverCpuMicrosPerRequest: number
}

/** Client CPU share at or above which the load generator, not the server, limits throughput. */
const CLIENT_BOUND_SHARE = 0.9

type ResultGrid = Map<string, RunResult[]>

function gridKey(server: ServerName, requestId: string, connections: number): string {
  return `${server} ${requestId} ${connections}`
}

function pushResult(grid: ResultGrid, key: string, result: RunResult): void {
  const list = grid.get(key) ?? []
  list.push(result)
  grid.set(key, list)
}

/**
 * Picks wrk when it is on the PATH, unless BENCH_LOAD_GENERATOR=autocannon.
 * wrk counts time in whole seconds, so its warm-ups last at least 1 s.
 */
function settingsFor(context: MeasureContext): Settings {
  const version = process.env['BENCH_LOAD_GENERATOR'] === 'autocannon' ? undefined : wrkVersion()
  const generator: Pick<Settings, 'generator' | 'generatorLabel'> =
    version === undefined ? { generator: 'autocannon', generatorLabel: 'autocannon 8' } : { generator: 'wrk', generatorLabel: version.split(' [')[0] ?? 'wrk' }
  const warmupSeconds = generator.generator === 'wrk' ? 1 : 0.5
  if (context.quick) {
    return { durationSeconds: 2, warmupSeconds, initialWarmupSeconds: { node: 1, jvm: 3 }, profileSeconds: 2, ...generator }
  }
  return { durationSeconds: 3, warmupSeconds, initialWarmupSeconds: { node: 1, jvm: 8 }, profileSeconds: 5, ...generator }
}

export const httpMeasure: Measure = {
  id: 'http',
  title: 'Emulator HTTP throughput and latency, against the precomputed ceiling and WireMock',
  async run(context: MeasureContext): Promise<MeasureReport> {
    const settings = settingsFor(context)
    const notes: string[] = []
    const servers: ServerHandle[] = []

    try {
      const emulatorOptions = JSON.stringify({ seed: 1, tenants: tenantSpecs() })
      const emulator = await startNodeServer(context, 'emulator', 'emulator', 'emulator-server.js', emulatorOptions)
      servers.push(emulator)
      context.logger.info({ url: emulator.url, pid: emulator.process.pid }, 'emulator started')

      // Build the four requests from real tokens and a real serial, then capture the replies.
      const plainToken = await fetchToken(emulator.url, PLAIN_TENANT.clientId, PLAIN_TENANT.clientSecret)
      const policyToken = await fetchToken(emulator.url, POLICY_TENANT.clientId, POLICY_TENANT.clientSecret)
      const plainSearch = searchRequest('search', '500-device search page (GET /API/mdm/devices/search)', plainToken)
      const policySearch = searchRequest('search-compliance', '500-device page with ComplianceSummary', policyToken)
      const plainPage = await sendRequest(emulator.url, plainSearch)
      const requests: BenchRequest[] = [
        tokenRequest(PLAIN_TENANT.clientId, PLAIN_TENANT.clientSecret),
        lookupRequest(plainToken, pickSerial(plainPage.body)),
        plainSearch,
        policySearch,
      ]
      const captures: CapturedResponse[] = []
      for (const request of requests) {
        captures.push(await captureResponse(emulator.url, request))
      }
      for (const [index, request] of requests.entries()) {
        if (request.id.startsWith('search')) {
          const page = describePage(Buffer.from((captures[index] as CapturedResponse).bodyBase64, 'base64').toString('utf8'))
          notes.push(
            `${request.label}: ${page.devices} devices, ${page.withSummary} with ComplianceSummary, ${formatNumber(page.bytes)} bytes.`,
          )
        }
      }
      const capturesFile = path.join(context.workDir, 'http-captures.json')
      writeFileSync(capturesFile, JSON.stringify(captures))

      const ceiling = await startNodeServer(context, 'ceiling', 'Express ceiling', 'ceiling-server.js', capturesFile)
      servers.push(ceiling)
      await verifyReplay(ceiling, requests, captures)

      if (detectJava() === null) {
        notes.push('No Java runtime on the PATH (`java -version` failed), so the WireMock column is skipped.')
      } else {
        try {
          const jar = ensureWiremockJar(path.join(context.repoRoot, '.bench-cache'), context.logger)
          const stubRoot = path.join(context.workDir, 'wiremock')
          writeStubs(stubRoot, captures)
          const wiremock = await startWiremock(jar, stubRoot)
          servers.push({ name: 'wiremock', label: 'WireMock', process: wiremock.process, url: wiremock.url })
          await verifyReplay(servers[servers.length - 1] as ServerHandle, requests, captures)
          notes.push(`WireMock: ${path.basename(jar)}, run as \`java -jar\` with the request journal and request logging off.`)
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error)
          notes.push(`WireMock could not be used, so its column is skipped: ${message}`)
          context.logger.error({ err: message }, 'WireMock unavailable')
          const started = servers.find((server) => server.name === 'wiremock')
          if (started !== undefined) {
            await started.process.stop()
            servers.splice(servers.indexOf(started), 1)
          }
        }
      }

      // Unrecorded warm-up of every server on every request.
      for (const server of servers) {
        const seconds = server.name === 'wiremock' ? settings.initialWarmupSeconds.jvm : settings.initialWarmupSeconds.node
        for (const request of requests) {
          await runLoad(context, loadRequestFor(server, request, 50, seconds, 0, settings.generator))
        }
      }

      // Runs rotate through servers so slow drift on the machine hits every server alike.
      const grid: ResultGrid = new Map()
      const rss = new Map<ServerName, number[]>()
      for (let run = 0; run < context.runs; run += 1) {
        for (const request of requests) {
          for (const connections of CONNECTION_COUNTS) {
            for (const server of servers) {
              const load = loadRequestFor(server, request, connections, settings.durationSeconds, settings.warmupSeconds, settings.generator)
              const result = await runLoad(context, { ...load, serverPid: server.process.pid })
              const serverCpuSeconds = result.serverCpuSeconds ?? Number.NaN
              pushResult(grid, gridKey(server.name, request.id, connections), {
                ...result,
                serverCpuShare: serverCpuSeconds / settings.durationSeconds,
                serverCpuMicrosPerRequest: (serverCpuSeconds * 1e6) / Math.max(1, result.totalRequests),
              })
              const memory = readMemory(server.process.pid)
              rss.set(server.name, [...(rss.get(server.name) ?? []), memory.rssBytes])
              context.logger.info(
                { run: run + 1, server: server.name, request: request.id, connections, requestsPerSecond: Math.round(result.requestsPerSecond) },
                'load run finished',
              )
            }
          }
        }
      }
      const peakRss = new Map<ServerName, number>()
      for (const server of servers) {
        peakRss.set(server.name, readMemory(server.process.pid).peakRssBytes)
      }

      const report = renderReport(context, settings, servers, requests, grid, rss, peakRss, notes)

      const missedRequests = new Set(report.targets.filter((check) => !check.met).map((check) => check.requestId))
      const profiles: string[] = []
      for (const request of requests) {
        if (missedRequests.has(request.id)) {
          profiles.push(await profileEmulator(context, settings, emulatorOptions, request))
        }
      }

      const markdown = [report.markdown, ...profiles].join('\n\n')
      return { markdown, targets: report.targets.map(({ requestId: _requestId, ...check }) => check) }
    } finally {
      for (const server of servers) {
        await server.process.stop()
      }
    }
  },
}

function renderReport(
  context: MeasureContext,
  settings: Settings,
  servers: ServerHandle[],
  requests: BenchRequest[],
  grid: ResultGrid,
  rss: Map<ServerName, number[]>,
  peakRss: Map<ServerName, number>,
  notes: string[],
): { markdown: string; targets: Array<TargetCheck & { requestId: string }> } {
  const sections: string[] = []
  sections.push(
    [
      `Method: each server runs alone in its own process pinned with \`taskset -c ${SERVER_CORE}\`, and the load generator, ${settings.generatorLabel} (one thread, keep-alive, one request in flight per connection), runs in a child process pinned with \`taskset -c ${CLIENT_CORE}\`, on 127.0.0.1. wrk is used when it is installed: autocannon parses each response in JavaScript on one core and cannot take in 1 MB pages as fast as the servers send them. \`BENCH_LOAD_GENERATOR=autocannon\` forces autocannon.`,
      `Each run is ${settings.durationSeconds} s of measured load after ${settings.warmupSeconds} s of unrecorded load from the same load generator. Before the first run, every server got ${settings.initialWarmupSeconds.node} s (Node) or ${settings.initialWarmupSeconds.jvm} s (JVM) per request of unrecorded load at 50 connections.`,
      `Runs rotate through the servers, ${context.runs} run(s) per cell, reported as median (min–max). Req/s is completed requests over the run time, MB/s is response bytes (1 MB = 10^6 bytes) over the run time, latencies are the load generator's p50 and p99.`,
      "Server CPU % is the server process's CPU time over the run length and client CPU % the same for the load generator (medians). When the client is near 100 % and the server is not, the load generator is the limit and the ratio to the ceiling says little.",
      'The ceiling is an Express app (same express version) that writes the bytes captured from the emulator, headers included, with ETag and X-Powered-By off. WireMock serves the same bodies and headers from mappings and __files; it adds headers of its own (such as Matched-Stub-Id).',
      `Fleet: two tenants of ${FLEET_SIZE} generated devices each: one without compliance policies (never evaluated, so no ComplianceSummary), one with three policies on every device. Rate limits off, token lifetime 24 h.`,
      ...notes,
    ]
      .map((line) => `- ${line}`)
      .join('\n'),
  )

  const rows: string[][] = []
  for (const request of requests) {
    for (const connections of CONNECTION_COUNTS) {
      for (const server of servers) {
        const results = grid.get(gridKey(server.name, request.id, connections)) ?? []
        const failures = results.reduce((sum, result) => sum + result.non2xx + result.errors + result.timeouts, 0)
        rows.push([
          request.id,
          String(connections),
          server.label,
          formatSummary(summarize(results.map((result) => result.requestsPerSecond))),
          formatSummary(summarize(results.map((result) => result.latencyP50Ms)), 1),
          formatSummary(summarize(results.map((result) => result.latencyP99Ms)), 1),
          formatSummary(summarize(results.map((result) => result.bytesPerSecond / 1e6)), 1),
          formatNumber(summarize(results.map((result) => result.serverCpuShare * 100)).median),
          formatNumber(summarize(results.map((result) => result.clientCpuShare * 100)).median),
          formatSummary(summarize(results.map((result) => result.serverCpuMicrosPerRequest))),
          String(failures),
        ])
      }
    }
  }
  sections.push(table(['request', 'connections', 'server', 'req/s', 'p50 ms', 'p99 ms', 'MB/s', 'server CPU %', 'client CPU %', 'server CPU µs/request', 'non-2xx or errors'], rows))

  const memoryRows = servers.map((server) => [
    server.label,
    formatSummary(summarize((rss.get(server.name) ?? [0]).map((bytes) => bytes / 1024 ** 2))),
    formatMiB(peakRss.get(server.name) ?? 0),
  ])
  sections.push(`Server memory (RSS after each load run in MiB, and the kernel's high-water mark as peak):\n\n${table(['server', 'RSS MiB', 'peak RSS MiB'], memoryRows)}`)

  const targets: Array<TargetCheck & { requestId: string }> = []
  const ratioRows: string[][] = []
  for (const request of requests) {
    const target = TARGETS[request.id]
    if (target === undefined) {
      continue
    }
    for (const connections of CONNECTION_COUNTS) {
      const ours = grid.get(gridKey('emulator', request.id, connections)) ?? []
      for (const other of servers.filter((server) => server.name !== 'emulator')) {
        const theirs = grid.get(gridKey(other.name, request.id, connections)) ?? []
        // Runs are interleaved, so run i of both servers saw the same machine state.
        const ratios = ours.map((result, index) => result.requestsPerSecond / (theirs[index]?.requestsPerSecond ?? Number.NaN))
        const ratio = summarize(ratios)
        const cpuRatio = summarize(ours.map((result, index) => (theirs[index]?.serverCpuMicrosPerRequest ?? Number.NaN) / result.serverCpuMicrosPerRequest))
        const clientBound =
          summarize(ours.map((result) => result.clientCpuShare)).median >= CLIENT_BOUND_SHARE ||
          summarize(theirs.map((result) => result.clientCpuShare)).median >= CLIENT_BOUND_SHARE
        const minimum = other.name === 'ceiling' ? target.ceiling : target.wiremock
        const met = ratio.median >= minimum
        ratioRows.push([
          request.id,
          String(connections),
          `emulator / ${other.label}`,
          formatSummary(ratio, 2),
          `≥ ${minimum}`,
          metLabel(met),
          formatSummary(cpuRatio, 2),
          clientBound ? 'yes' : 'no',
        ])
        targets.push({
          requestId: request.id,
          measure: `HTTP ${request.id}, ${connections} connections, emulator / ${other.label}`,
          target: `≥ ${minimum}`,
          observed: `${formatNumber(ratio.median, 2)}${clientBound ? ' (client-bound)' : ''}`,
          met,
        })
      }
    }
  }
  sections.push(
    [
      'Ratios (median of per-run ratios, min–max). "req/s ratio" is the emulator\'s req/s over the other server\'s, which the targets apply to. "CPU/request ratio" is the other server\'s CPU time per request over the emulator\'s: above 1 the emulator spends less CPU per request, which is its capacity ratio when the server is the limit. "Client-bound" marks cells where the load generator used at least 90 % of its core for either server, so the req/s ratio there measures the load generator more than the servers.',
      '',
      table(['request', 'connections', 'servers', 'req/s ratio', 'target', 'result', 'CPU/request ratio', 'client-bound'], ratioRows),
    ].join('\n'),
  )

  return { markdown: sections.join('\n\n'), targets }
}

/**
 * Profiles the emulator under one request's load with the V8 CPU profiler,
 * started after a warm-up and stopped before shutdown, and summarises the
 * functions with the most self time.
 */
async function profileEmulator(context: MeasureContext, settings: Settings, emulatorOptions: string, request: BenchRequest): Promise<string> {
  const profileFile = path.join(context.workDir, `profile-${request.id}.cpuprofile`)
  const emulator = await startNodeServer(context, 'emulator', 'profiled emulator', 'emulator-server.js', emulatorOptions, {
    BENCH_CPU_PROFILE: profileFile,
  })
  try {
    // Tokens in the captured request belong to the first emulator, so fetch fresh ones.
    const replayable = await refreshAuthorization(emulator.url, request)
    await runLoad(context, loadRequestFor(emulator, replayable, 50, 1, 0, settings.generator))
    emulator.process.child.kill('SIGUSR2')
    await delay(200)
    await runLoad(context, loadRequestFor(emulator, replayable, 50, settings.profileSeconds, 0, settings.generator))
  } finally {
    await emulator.process.stop()
  }

  return renderProfile(
    `Profile of the emulator under "${request.label}" at 50 connections: V8 CPU profiler over ${settings.profileSeconds} s of load after a 1 s warm-up.`,
    profileFile,
    context.repoRoot,
  )
}

/** Replaces the bearer token of `request` with one from the emulator at `origin`. */
async function refreshAuthorization(origin: string, request: BenchRequest): Promise<BenchRequest> {
  if (request.headers['authorization'] === undefined) {
    return request
  }
  const tenant = request.id === 'search-compliance' ? POLICY_TENANT : PLAIN_TENANT
  const token = await fetchToken(origin, tenant.clientId, tenant.clientSecret)
  return { ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } }
}
