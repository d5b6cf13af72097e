/**
 * Test support: a manual virtual clock and a driver that advances it only
 * while no request is in flight, so unit tests never sleep for real.
 */
import type { Clock } from './types'

interface Timer {
  at: number
  order: number
  resolve: () => void
  reject: (reason: unknown) => void
  signal: AbortSignal | undefined
  onAbort: (() => void) | undefined
}

export class ManualClock implements Clock {
  private time: number
  private order = 0
  private timers: Timer[] = []
  /** Every sleep requested, in ms, in call order. */
  readonly sleeps: number[] = []

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.time = start
  }

  now(): number {
    return this.time
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms)
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted === true) {
        reject(signal.reason)
        return
      }
      const timer: Timer = { at: this.time + Math.max(0, ms), order: this.order++, resolve, reject, signal, onAbort: undefined }
      if (signal !== undefined) {
        timer.onAbort = () => {
          this.timers = this.timers.filter((entry) => entry !== timer)
          reject(signal.reason)
        }
        signal.addEventListener('abort', timer.onAbort, { once: true })
      }
      this.timers.push(timer)
    })
  }

  get pendingTimers(): number {
    return this.timers.length
  }

  /** Moves time forward by `ms`, firing due timers in order. */
  advance(ms: number): void {
    this.advanceTo(this.time + ms)
  }

  /** Jumps to the earliest pending timer and fires it; returns false when none is pending. */
  advanceToNext(): boolean {
    const next = this.sortedTimers()[0]
    if (next === undefined) return false
    this.advanceTo(Math.max(this.time, next.at))
    return true
  }

  private advanceTo(target: number): void {
    for (const timer of this.sortedTimers()) {
      if (timer.at > target) break
      this.timers = this.timers.filter((entry) => entry !== timer)
      if (timer.onAbort !== undefined) timer.signal?.removeEventListener('abort', timer.onAbort)
      this.time = Math.max(this.time, timer.at)
      timer.resolve()
    }
    this.time = Math.max(this.time, target)
  }

  private sortedTimers(): Timer[] {
    return [...this.timers].sort((a, b) => a.at - b.at || a.order - b.order)
  }
}

/**
 * Wraps fetch to count requests in flight, including reading the body, so
 * the driver can tell when the checker is waiting on its clock.
 */
export function createTrackingFetch(): { fetch: typeof fetch; inFlight: () => number } {
  let inFlight = 0
  const tracked: typeof fetch = async (input, init) => {
    inFlight++
    try {
      const response = await globalThis.fetch(input, init)
      const body = await response.arrayBuffer()
      const empty = [101, 204, 205, 304].includes(response.status)
      return new Response(empty ? null : body, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      })
    } finally {
      inFlight--
    }
  }
  return { fetch: tracked, inFlight: () => inFlight }
}

const nextMacrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/**
 * Settles `work`, advancing `clock` to its next timer whenever the work is
 * idle: no request in flight and a few macrotasks passed without settling.
 * With `advanceDuringRequests`, time also moves while a request has hung
 * for about 100 ms of real time, which is how a test reaches a request timeout.
 */
export async function drive<T>(
  clock: ManualClock,
  inFlight: () => number,
  work: Promise<T>,
  options: { advanceDuringRequests?: boolean; maxSteps?: number } = {},
): Promise<T> {
  let settled = false
  const tracked = work.finally(() => {
    settled = true
  })
  tracked.catch(() => undefined)
  const maxSteps = options.maxSteps ?? 10_000
  let busySteps = 0
  for (let step = 0; step < maxSteps && !settled; step++) {
    for (let i = 0; i < 5 && !settled; i++) await nextMacrotask()
    if (settled) break
    if (inFlight() > 0) {
      if (options.advanceDuringRequests !== true) continue
      // Mocked replies may wait on real zero-delay timers, so only a request
      // still pending after about 100 ms of real time counts as hanging.
      busySteps++
      await new Promise((resolve) => setTimeout(resolve, 25))
      if (busySteps < 4) continue
    }
    busySteps = 0
    if (!clock.advanceToNext() && inFlight() === 0) {
      // Nothing pending on the clock and no request: let other macrotasks run.
      await nextMacrotask()
    }
  }
  if (!settled) throw new Error(`work did not settle within ${maxSteps} driver steps`)
  return tracked
}
