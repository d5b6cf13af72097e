import type { Clock } from './types'

/** Maximum delay of one Node.js timer: 2^31-1 ms, about 24.8 days. */
export const MAX_TIMER_MS = 2_147_483_647

/**
 * Wall-clock time; the only place in the checker that uses real timers.
 * `sleep` chains timers of at most MAX_TIMER_MS, because Node.js fires a
 * longer timer after 1 ms.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted === true) {
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
    }),
}

/** Formats epoch milliseconds as RFC 3339 UTC with milliseconds. */
export function toRfc3339(epochMs: number): string {
  return new Date(epochMs).toISOString()
}
