import type { Clock } from './types'

/** A clock the control API can move: `set` and `advance` are always present. */
export interface SettableClock extends Clock {
  set(epochMs: number): void
  advance(ms: number): void
}

/**
 * Creates a clock that reads real time plus an offset. `set` and `advance`
 * move the offset, so the emulator can jump ahead a day while real timers keep
 * running. `sleep` waits in real time.
 */
export function createSystemClock(): SettableClock {
  let offsetMs = 0
  return {
    now: () => Date.now() + offsetMs,
    set(epochMs: number) {
      offsetMs = epochMs - Date.now()
    },
    advance(ms: number) {
      offsetMs += ms
    },
    sleep: (ms: number, signal?: AbortSignal) => realSleep(ms, signal),
  }
}

/**
 * Creates a clock that moves only through `set` and `advance`. `sleep` resolves once `advance`
 * or `set` has moved the clock past the wake-up time, so delay faults cost no
 * wall time in tests.
 */
export function createManualClock(startMs: number): SettableClock {
  let nowMs = startMs
  const sleepers: Array<{ wakeAt: number; resolve: () => void }> = []

  const wakeDue = (): void => {
    for (let i = sleepers.length - 1; i >= 0; i--) {
      const sleeper = sleepers[i]
      if (sleeper !== undefined && sleeper.wakeAt <= nowMs) {
        sleepers.splice(i, 1)
        sleeper.resolve()
      }
    }
  }

  return {
    now: () => nowMs,
    set(epochMs: number) {
      nowMs = epochMs
      wakeDue()
    },
    advance(ms: number) {
      nowMs += ms
      wakeDue()
    },
    sleep(ms: number, signal?: AbortSignal) {
      if (ms <= 0) return Promise.resolve()
      return new Promise<void>((resolve, reject) => {
        const sleeper = { wakeAt: nowMs + ms, resolve }
        sleepers.push(sleeper)
        signal?.addEventListener('abort', () => {
          const index = sleepers.indexOf(sleeper)
          if (index >= 0) sleepers.splice(index, 1)
          reject(signal.reason)
        })
      })
    },
  }
}

/** Maximum delay of one Node.js timer: 2^31-1 ms, about 24.8 days. */
const MAX_TIMER_MS = 2_147_483_647

/** Sleeps in real time, chaining timers because Node.js fires one longer than MAX_TIMER_MS after 1 ms. */
function realSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason)
      return
    }
    const wakeAt = Date.now() + Math.max(0, ms)
    let timer: ReturnType<typeof setTimeout> | undefined
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const wait = (): void => {
      const remaining = wakeAt - Date.now()
      if (remaining <= 0) {
        signal?.removeEventListener('abort', onAbort)
        resolve()
        return
      }
      timer = setTimeout(wait, Math.min(remaining, MAX_TIMER_MS))
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    timer = setTimeout(wait, Math.min(Math.max(0, ms), MAX_TIMER_MS))
  })
}

/** Returns whether the clock can be moved by the control API. */
export function isSettableClock(clock: Clock): clock is SettableClock {
  return typeof clock.set === 'function' && typeof clock.advance === 'function'
}

const DURATION_UNITS_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
}

/**
 * Parses a duration such as `90m`, `2h`, `30s`, `1d`, `250ms`, a sequence such
 * as `1h30m`, or a plain number of milliseconds. Returns undefined when the
 * value is not a duration.
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined
  if (typeof value !== 'string') return undefined
  const text = value.trim()
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text)
  const pattern = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy
  let total = 0
  let consumed = 0
  let match: RegExpExecArray | null
  while ((match = pattern.exec(text)) !== null) {
    const amount = Number(match[1])
    const unit = DURATION_UNITS_MS[match[2] ?? '']
    if (unit === undefined) return undefined
    total += amount * unit
    consumed = pattern.lastIndex
  }
  if (consumed === 0 || consumed !== text.length) return undefined
  return total
}

/** Earliest instant the emulator accepts: 1970-01-01T00:00:00.000Z. */
export const MIN_INSTANT_MS = 0
/** Latest instant the emulator accepts: 9999-12-31T23:59:59.999Z, the last date with a four-digit year. */
export const MAX_INSTANT_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999)

/** Returns whether epoch milliseconds `ms` fall in the years 1970 to 9999. */
export function isInstantInRange(ms: number): boolean {
  return ms >= MIN_INSTANT_MS && ms <= MAX_INSTANT_MS
}

/**
 * Parses an ISO 8601 date-time or epoch milliseconds. Returns undefined when
 * the value is invalid or outside the years 1970 to 9999.
 */
export function parseInstant(value: unknown): number | undefined {
  const ms = parseAnyInstant(value)
  return ms !== undefined && isInstantInRange(ms) ? ms : undefined
}

function parseAnyInstant(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined
  if (typeof value !== 'string' || value.trim() === '') return undefined
  const text = value.trim()
  if (/^\d+$/.test(text)) return Number(text)
  // Date.parse reads a date-time without a zone as local time, but the emulator reads it as UTC.
  const zoneless = /T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text)
  const ms = Date.parse(zoneless ? `${text}Z` : text)
  return Number.isNaN(ms) ? undefined : ms
}
