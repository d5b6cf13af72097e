/**
 * Child processes of the bench: servers and load generators pinned to one
 * core each with `taskset`, so the server under test and the load generator
 * never compete for the same core.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import os from 'node:os'

/** Core for servers under test. */
export const SERVER_CORE = 0
/** Core for load generators and measuring clients. */
export const CLIENT_CORE = 1

let tasksetAvailable: boolean | undefined

/** True when `taskset` exists and the machine has the two cores the bench pins to. */
export function canPin(): boolean {
  if (tasksetAvailable === undefined) {
    const probe = spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' })
    tasksetAvailable = probe.status === 0 && os.cpus().length >= 2
  }
  return tasksetAvailable
}

/** Prefixes a command with `taskset -c CORE` when pinning is possible. */
export function pinnedCommand(core: number | null, command: string, args: string[]): [string, string[]] {
  if (core === null || !canPin()) {
    return [command, args]
  }
  return ['taskset', ['-c', String(core), command, ...args]]
}

export interface StartOptions {
  core: number | null
  command: string
  args: string[]
  cwd?: string
  env?: NodeJS.ProcessEnv
  /** Label used in error messages. */
  name: string
}

/** A long-running child process, such as a server under test. */
export class ManagedProcess {
  readonly child: ChildProcess
  readonly name: string
  private stdoutText = ''
  private stderrText = ''
  private exited: Promise<number | null>

  constructor(options: StartOptions) {
    const [command, args] = pinnedCommand(options.core, options.command, options.args)
    this.name = options.name
    this.child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.child.stdout?.setEncoding('utf8')
    this.child.stderr?.setEncoding('utf8')
    this.child.stdout?.on('data', (chunk: string) => {
      this.stdoutText = keepTail(this.stdoutText + chunk)
    })
    this.child.stderr?.on('data', (chunk: string) => {
      this.stderrText = keepTail(this.stderrText + chunk)
    })
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code) => resolve(code))
      this.child.once('error', () => resolve(null))
    })
  }

  get pid(): number {
    if (this.child.pid === undefined) {
      throw new Error(`${this.name} failed to start: no process id. stderr: ${this.stderrText}`)
    }
    return this.child.pid
  }

  get stdout(): string {
    return this.stdoutText
  }

  get stderr(): string {
    return this.stderrText
  }

  /** Waits for the first stdout line and parses it as JSON. Servers print where they listen on that line. */
  async readReadyLine<T>(timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      const newline = this.stdoutText.indexOf('\n')
      if (newline >= 0) {
        const line = this.stdoutText.slice(0, newline)
        try {
          return JSON.parse(line) as T
        } catch {
          throw new Error(`${this.name} printed an invalid ready line: ${line.slice(0, 200)}`)
        }
      }
      if (this.child.exitCode !== null) {
        throw new Error(`${this.name} exited with code ${this.child.exitCode} before it was ready. stderr: ${this.stderrText}`)
      }
      await delay(20)
    }
    throw new Error(`${this.name} timed out after ${timeoutMs} ms before it was ready. stderr: ${this.stderrText}`)
  }

  /** Sends SIGTERM, then SIGKILL after `graceMs`, and waits for the exit. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      return
    }
    this.child.kill('SIGTERM')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs)
    await this.exited
    clearTimeout(timer)
  }

  /** Resolves with the exit code once the process ends. */
  waitForExit(): Promise<number | null> {
    return this.exited
  }
}

/** Keeps the last 64 KiB of a child's output for error messages. */
function keepTail(text: string): string {
  const limit = 64 * 1024
  return text.length > limit ? text.slice(text.length - limit) : text
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Resident and peak resident set size of a process, in bytes, from /proc. */
export interface MemoryUsage {
  rssBytes: number
  peakRssBytes: number
}

export function readMemory(pid: number): MemoryUsage {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return {
    rssBytes: readStatusKiB(status, 'VmRSS') * 1024,
    peakRssBytes: readStatusKiB(status, 'VmHWM') * 1024,
  }
}

function readStatusKiB(status: string, key: string): number {
  const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)
  if (match?.[1] === undefined) {
    throw new Error(`/proc status has no ${key} line`)
  }
  return Number(match[1])
}

let clockTicksPerSecond: number | undefined

/** CPU time (user plus system) a process has used so far, in seconds, from /proc/PID/stat. */
export function readCpuSeconds(pid: number): number {
  if (clockTicksPerSecond === undefined) {
    const probe = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })
    const ticks = Number(probe.stdout.trim())
    clockTicksPerSecond = probe.status === 0 && ticks > 0 ? ticks : 100
  }
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // The command name in brackets may contain spaces, so count fields after its closing bracket.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const userTicks = Number(fields[11])
  const systemTicks = Number(fields[12])
  return (userTicks + systemTicks) / clockTicksPerSecond
}

/**
 * Runs a child process to completion and parses the last stdout line as
 * JSON: workers print their result there. Rejects on a non-zero exit or on
 * timeout (the child is killed then).
 */
export async function runJsonChild<T>(options: StartOptions & { timeoutMs: number }): Promise<T> {
  const child = new ManagedProcess(options)
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    child.child.kill('SIGKILL')
  }, options.timeoutMs)
  const code = await child.waitForExit()
  clearTimeout(timer)

  if (timedOut) {
    throw new Error(`${options.name} timed out after ${options.timeoutMs} ms and was killed.`)
  }
  if (code !== 0) {
    throw new Error(`${options.name} failed with exit code ${String(code)}. stderr: ${child.stderr.slice(-4000)}`)
  }
  const lines = child.stdout.trim().split('\n')
  const last = lines[lines.length - 1] ?? ''
  try {
    return JSON.parse(last) as T
  } catch {
    throw new Error(`${options.name} printed no JSON result. Last line: ${last.slice(0, 200)}`)
  }
}
