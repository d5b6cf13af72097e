/**
 * Discrete-event virtual clock shared by the emulator and the posture checker.
 *
 * Timers sit in a priority queue ordered by (time, sequence). The clock only
 * moves inside runUntil/runUntilSettled: each step waits until the system is
 * quiescent (no HTTP exchange is doing real work), then fires the earliest
 * timer due. Nothing here sleeps in real time.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises'

interface Timer {
  time: number
  seq: number
  fire: () => void
}

/** Error thrown into sleeps that were aborted; mirrors the DOM AbortError name. */
function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? Object.assign(new Error('The operation was aborted'), { name: 'AbortError' })
}

/** Creates a byte stream that yields `bytes` as one chunk, without copying them. */
function singleChunkStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (bytes.byteLength > 0) controller.enqueue(bytes)
      controller.close()
    },
  })
}

/** Binary min-heap of timers ordered by (time, seq). */
class TimerQueue {
  private readonly heap: Timer[] = []

  get size(): number {
    return this.heap.length
  }

  peek(): Timer | undefined {
    return this.heap[0]
  }

  push(timer: Timer): void {
    const heap = this.heap
    heap.push(timer)
    let index = heap.length - 1
    while (index > 0) {
      const parent = (index - 1) >> 1
      const parentTimer = heap[parent] as Timer
      if (!before(timer, parentTimer)) break
      heap[index] = parentTimer
      heap[parent] = timer
      index = parent
    }
  }

  pop(): Timer | undefined {
    const heap = this.heap
    const top = heap[0]
    const last = heap.pop()
    if (top === undefined || last === undefined || heap.length === 0) return top
    heap[0] = last
    let index = 0
    for (;;) {
      const left = index * 2 + 1
      const right = left + 1
      let smallest = index
      if (left < heap.length && before(heap[left] as Timer, heap[smallest] as Timer)) smallest = left
      if (right < heap.length && before(heap[right] as Timer, heap[smallest] as Timer)) smallest = right
      if (smallest === index) break
      const swap = heap[smallest] as Timer
      heap[smallest] = heap[index] as Timer
      heap[index] = swap
      index = smallest
    }
    return top
  }

  remove(timer: Timer): void {
    const index = this.heap.indexOf(timer)
    if (index < 0) return
    const rest = this.heap.splice(index)
    rest.shift()
    for (const item of rest) this.push(item)
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq)
}

/** The Clock interface both parts accept: now, sleep, set, advance. */
export interface ClockView {
  now(): number
  sleep(ms: number, signal?: AbortSignal): Promise<void>
  set(epochMs: number): void
  advance(ms: number): void
}

export interface VirtualClockOptions {
  /** Epoch milliseconds of virtual time zero. */
  start: number
  /**
   * Upper bound of quiescence checks before one timer fires. It stops a run
   * whose in-flight count keeps changing without ever settling.
   */
  maxIdleTurns?: number
}

export class VirtualClock implements ClockView {
  private current: number
  private seq = 0
  private readonly queue = new TimerQueue()
  private inFlight = 0
  private blockedServerSleeps = 0
  private changeWaiters: Array<() => void> = []
  private readonly maxIdleTurns: number

  constructor(options: VirtualClockOptions) {
    this.current = options.start
    this.maxIdleTurns = options.maxIdleTurns ?? 1_000_000
  }

  now(): number {
    return this.current
  }

  /** Resolves when virtual time reaches now + ms; rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return this.schedule(ms, signal, false)
  }

  /**
   * Moves the clock to an absolute time. Timers that become due fire on the
   * next runUntil step; moving backwards is allowed for control-API parity.
   */
  set(epochMs: number): void {
    this.current = epochMs
  }

  advance(ms: number): void {
    this.current += ms
  }

  /** Registers a callback at an absolute virtual time; returns a cancel function. */
  at(epochMs: number, fire: () => void): () => void {
    const timer: Timer = { time: epochMs, seq: this.seq++, fire }
    this.queue.push(timer)
    return () => this.queue.remove(timer)
  }

  /** Number of timers waiting to fire. */
  pendingTimers(): number {
    return this.queue.size
  }

  /**
   * Clock view for the emulator. Its sleeps happen while a request is being
   * served, so each one counts as a blocked in-flight request. The system is
   * quiescent when every in-flight request is blocked in such a sleep.
   */
  serverView(): ClockView {
    return {
      now: () => this.now(),
      sleep: (ms, signal) => this.schedule(ms, signal, true),
      set: (epochMs) => this.set(epochMs),
      advance: (ms) => this.advance(ms),
    }
  }

  /**
   * Wraps a fetch so the clock tracks which HTTP work is in flight. A request
   * counts from the call until its body has been read in full or the call
   * rejected. The body is buffered and handed back as a new Response; errors
   * propagate unchanged.
   */
  trackFetch(inner: typeof fetch): typeof fetch {
    const tracked = async (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]): Promise<Response> => {
      this.changeInFlight(1)
      try {
        const response = await inner(input, init)
        const bytes = new Uint8Array(await response.arrayBuffer())
        const hasBody = bytes.byteLength > 0 || ![101, 204, 205, 304].includes(response.status)
        // A stream of the one buffer: an ArrayBuffer body would be copied once more by the Response constructor.
        const body = hasBody ? singleChunkStream(bytes) : null
        return new Response(body, {
          status: response.status,
          statusText: response.statusText,
          headers: response.headers,
        })
      } finally {
        this.changeInFlight(-1)
      }
    }
    return tracked as typeof fetch
  }

  /**
   * Fires timers in (time, sequence) order up to `target`, waiting for
   * quiescence before each, then sets now to `target` (never backwards).
   * When `signal` aborts, it fires no further timer and leaves now at the
   * time of the last timer it fired.
   */
  async runUntil(target: number, signal?: AbortSignal): Promise<void> {
    for (;;) {
      await this.waitForQuiescence()
      if (signal?.aborted === true) return
      const next = this.queue.peek()
      if (next === undefined || next.time > target) break
      this.fireNext()
    }
    if (this.current < target) this.current = target
  }

  /**
   * Fires timers until `promise` settles, without limit on the target time
   * except `deadline`. Returns false when the promise was still pending at
   * the deadline or nothing was left to fire.
   */
  async runUntilSettled(promise: Promise<unknown>, deadline: number): Promise<boolean> {
    let settled = false
    promise.then(
      () => { settled = true },
      () => { settled = true },
    )
    for (;;) {
      await this.waitForQuiescence()
      if (settled) return true
      const next = this.queue.peek()
      if (next === undefined || next.time > deadline) return settled
      this.fireNext()
    }
  }

  private fireNext(): void {
    const timer = this.queue.pop()
    if (timer === undefined) return
    if (timer.time > this.current) this.current = timer.time
    timer.fire()
  }

  private schedule(ms: number, signal: AbortSignal | undefined, blocksRequest: boolean): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal))
    return new Promise<void>((resolve, reject) => {
      if (blocksRequest) this.changeBlocked(1)
      let done = false
      const finish = (): void => {
        done = true
        if (blocksRequest) this.changeBlocked(-1)
        signal?.removeEventListener('abort', onAbort)
      }
      const cancel = this.at(this.current + Math.max(0, ms), () => {
        if (done) return
        finish()
        resolve()
      })
      const onAbort = (): void => {
        if (done) return
        cancel()
        finish()
        reject(abortReason(signal as AbortSignal))
      }
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  private isQuiescent(): boolean {
    // A request whose client gave up can leave a server sleep behind, so more
    // blocked sleeps than requests still counts as quiescent.
    return this.inFlight <= this.blockedServerSleeps
  }

  private async waitForQuiescence(): Promise<void> {
    let turns = 0
    for (;;) {
      await yieldToEventLoop()
      if (this.isQuiescent()) {
        // Give promise chains that resumed on the last turn a chance to start new work.
        await yieldToEventLoop()
        if (this.isQuiescent()) return
      } else {
        await new Promise<void>((resolve) => this.changeWaiters.push(resolve))
      }
      turns++
      if (turns > this.maxIdleTurns) {
        throw new Error(`virtual clock checked quiescence ${turns} times without settling; in-flight requests keep starting and finishing`)
      }
    }
  }

  private changeInFlight(delta: number): void {
    this.inFlight += delta
    this.notifyChange()
  }

  private changeBlocked(delta: number): void {
    this.blockedServerSleeps += delta
    this.notifyChange()
  }

  private notifyChange(): void {
    const waiters = this.changeWaiters
    this.changeWaiters = []
    for (const wake of waiters) wake()
  }
}
