/**
 * Load generator child process: runs autocannon or wrk against one URL and
 * prints one JSON line with the result. The parent starts it pinned to the
 * client core, so it never shares a core with the server under test; wrk
 * inherits that pinning.
 *
 * Usage: node load-worker.js '<LoadRequest JSON>'
 */
import autocannon = require('autocannon')
import { readCpuSeconds } from '../lib/proc'
import { runWrk, type WrkRequest } from './wrk'

export type LoadGenerator = 'autocannon' | 'wrk'

/** One load run, as the parent sends it. */
export interface LoadRequest {
  url: string
  method: 'GET' | 'POST'
  headers: Record<string, string>
  body?: string
  connections: number
  durationSeconds: number
  /** Unrecorded load before the measured run, so JIT compilation and caches settle. */
  warmupSeconds: number
  /** Process id of the server under load, whose CPU time the worker reads around the measured run. */
  serverPid?: number
  /** Default autocannon. */
  generator?: LoadGenerator
}

/** What one measured run produced. Latencies in milliseconds, throughput in bytes per second. */
export interface LoadResult {
  requestsPerSecond: number
  latencyP50Ms: number
  latencyP99Ms: number
  bytesPerSecond: number
  totalRequests: number
  non2xx: number
  errors: number
  timeouts: number
  /** CPU time of this load generator over the measured run divided by its length. Near 1, the client saturated its core. */
  clientCpuShare: number
  /** CPU seconds the server used during the measured run, or null without `serverPid`. */
  serverCpuSeconds: number | null
}

function optionsOf(request: LoadRequest, connections: number, durationSeconds: number): Parameters<typeof autocannon>[0] {
  const options: Parameters<typeof autocannon>[0] = {
    url: request.url,
    method: request.method,
    headers: request.headers,
    connections,
    duration: durationSeconds,
    pipelining: 1,
    timeout: 10,
  }
  if (request.body !== undefined) {
    options.body = request.body
  }
  return options
}

async function main(): Promise<void> {
  const raw = process.argv[2]
  if (raw === undefined) {
    throw new Error('Missing argument: pass the load request as one JSON argument.')
  }
  const request = JSON.parse(raw) as LoadRequest
  const url = new URL(request.url)
  if (url.hostname !== '127.0.0.1') {
    throw new Error(`Invalid load target ${request.url}: the bench only loads servers on 127.0.0.1.`)
  }

  if (request.generator === 'wrk') {
    process.stdout.write(`${JSON.stringify(await loadWithWrk(request))}\n`)
    return
  }
  if (request.warmupSeconds > 0) {
    await autocannon(optionsOf(request, request.connections, request.warmupSeconds))
  }
  const serverCpuBefore = request.serverPid === undefined ? null : readCpuSeconds(request.serverPid)
  const cpuBefore = process.cpuUsage()
  const result = await autocannon(optionsOf(request, request.connections, request.durationSeconds))
  const cpuUsed = process.cpuUsage(cpuBefore)
  const serverCpuSeconds =
    request.serverPid === undefined || serverCpuBefore === null ? null : readCpuSeconds(request.serverPid) - serverCpuBefore

  const output: LoadResult = {
    requestsPerSecond: result.requests.total / result.duration,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    bytesPerSecond: result.throughput.total / result.duration,
    totalRequests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    clientCpuShare: (cpuUsed.user + cpuUsed.system) / 1e6 / result.duration,
    serverCpuSeconds,
  }
  process.stdout.write(`${JSON.stringify(output)}\n`)
}

async function loadWithWrk(request: LoadRequest): Promise<LoadResult> {
  const wrkRequest = (durationSeconds: number): WrkRequest => ({
    url: request.url,
    method: request.method,
    headers: request.headers,
    ...(request.body === undefined ? {} : { body: request.body }),
    connections: request.connections,
    durationSeconds,
  })
  if (request.warmupSeconds > 0) await runWrk(wrkRequest(request.warmupSeconds))
  const serverCpuBefore = request.serverPid === undefined ? null : readCpuSeconds(request.serverPid)
  const result = await runWrk(wrkRequest(request.durationSeconds))
  const serverCpuSeconds =
    request.serverPid === undefined || serverCpuBefore === null ? null : readCpuSeconds(request.serverPid) - serverCpuBefore
  return {
    requestsPerSecond: result.requests / result.durationSeconds,
    latencyP50Ms: result.latencyP50Ms,
    latencyP99Ms: result.latencyP99Ms,
    bytesPerSecond: result.bytesRead / result.durationSeconds,
    totalRequests: result.requests,
    non2xx: result.non2xx,
    errors: result.socketErrors,
    timeouts: result.timeouts,
    clientCpuShare: result.cpuSeconds / result.durationSeconds,
    serverCpuSeconds,
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`load worker failed: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exitCode = 1
})
