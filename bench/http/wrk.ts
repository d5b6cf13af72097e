/**
 * wrk as the load generator, when it is installed. autocannon parses every
 * response in JavaScript on its single core, so with 1 MB search pages it
 * saturates before the server does. wrk reads the same responses in C.
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { readCpuSeconds } from '../lib/proc'
import type { LoadRequest } from './load-worker'

/** How often the CPU time of the running wrk process is read, in milliseconds. */
const CPU_SAMPLE_MS = 100

/** One wrk run: the fields of a load request that wrk uses. */
export type WrkRequest = Pick<LoadRequest, 'url' | 'method' | 'headers' | 'body' | 'connections' | 'durationSeconds'>

/** Summary of one wrk run, with its CPU time read from /proc while it ran. */
export interface WrkResult {
  requests: number
  durationSeconds: number
  bytesRead: number
  latencyP50Ms: number
  latencyP99Ms: number
  non2xx: number
  socketErrors: number
  timeouts: number
  cpuSeconds: number
}

/** Returns the version line of the wrk on PATH, or undefined when none runs. */
export function wrkVersion(): string | undefined {
  const probe = spawnSync('wrk', ['--version'], { encoding: 'utf8' })
  if (probe.error !== undefined) return undefined
  // wrk prints its version and usage, then exits 1.
  const line = `${probe.stdout}${probe.stderr}`.split('\n').find((text) => text.startsWith('wrk '))
  return line?.trim()
}

/** Writes the Lua script that sets the method, headers and body of every request. */
function writeScript(directory: string, request: WrkRequest): string {
  const lines = [`wrk.method = ${JSON.stringify(request.method)}`]
  for (const [name, value] of Object.entries(request.headers)) lines.push(`wrk.headers[${JSON.stringify(name)}] = ${JSON.stringify(value)}`)
  if (request.body !== undefined) lines.push(`wrk.body = ${JSON.stringify(request.body)}`)
  const file = path.join(directory, 'request.lua')
  writeFileSync(file, `${lines.join('\n')}\n`)
  return file
}

const UNIT_MS: Readonly<Record<string, number>> = { us: 0.001, ms: 1, s: 1000, m: 60_000 }
const UNIT_BYTES: Readonly<Record<string, number>> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 }

function parseDurationMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text)
  if (match === null) throw new Error(`Invalid wrk duration "${text}": expected a number with us, ms, s or m.`)
  return Number(match[1]) * (UNIT_MS[match[2] ?? 'ms'] ?? 1)
}

function parseBytes(text: string): number {
  const match = /^([\d.]+)(B|KB|MB|GB|TB)$/.exec(text)
  if (match === null) throw new Error(`Invalid wrk size "${text}": expected a number with B, KB, MB, GB or TB.`)
  return Number(match[1]) * (UNIT_BYTES[match[2] ?? 'B'] ?? 1)
}

/** Reads the summary wrk prints with --latency. */
export function parseWrkOutput(output: string): Omit<WrkResult, 'cpuSeconds'> {
  const total = /(\d+) requests in ([\d.]+\w+), ([\d.]+\w+) read/.exec(output)
  const p50 = /^\s*50%\s+(\S+)/m.exec(output)
  const p99 = /^\s*99%\s+(\S+)/m.exec(output)
  if (total === null || p50 === null || p99 === null) {
    throw new Error(`Unreadable wrk output: expected a request total and a latency distribution, got: ${output.slice(0, 400)}`)
  }
  const sockets = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output)
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(output)
  return {
    requests: Number(total[1]),
    durationSeconds: parseDurationMs(total[2] ?? '0s') / 1000,
    bytesRead: parseBytes(total[3] ?? '0B'),
    latencyP50Ms: parseDurationMs(p50[1] ?? '0ms'),
    latencyP99Ms: parseDurationMs(p99[1] ?? '0ms'),
    non2xx: non2xx === null ? 0 : Number(non2xx[1]),
    socketErrors: sockets === null ? 0 : Number(sockets[1]) + Number(sockets[2]) + Number(sockets[3]),
    timeouts: sockets === null ? 0 : Number(sockets[4]),
  }
}

/** Runs wrk with one thread for the request's duration and returns its summary. */
export async function runWrk(request: WrkRequest): Promise<WrkResult> {
  const directory = mkdtempSync(path.join(os.tmpdir(), 'ws1sim-wrk-'))
  try {
    const script = writeScript(directory, request)
    const args = ['-t1', `-c${request.connections}`, `-d${request.durationSeconds}s`, '--timeout', '10s', '--latency', '-s', script, request.url]
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    // /proc loses the process's CPU time once it exits, so keep the last reading taken while it ran.
    let cpuSeconds = 0
    const sampler = setInterval(() => {
      if (child.pid === undefined) return
      try {
        cpuSeconds = readCpuSeconds(child.pid)
      } catch {
        // The process has just exited, so the last reading is kept.
      }
    }, CPU_SAMPLE_MS)
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject)
      child.on('close', resolve)
    }).finally(() => clearInterval(sampler))
    if (code !== 0) throw new Error(`wrk exited with ${String(code)}: ${stderr.trim() || stdout.trim()}`)
    return { ...parseWrkOutput(stdout), cpuSeconds }
  } finally {
    rmSync(directory, { recursive: true, force: true })
  }
}
