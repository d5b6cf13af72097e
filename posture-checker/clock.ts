import type { Clock } from './types'

/** Wall-clock time; the only place in the checker that uses real timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted === true) {
        reject(signal.reason)
        return
      }
      const onAbort = (): void => {
        clearTimeout(timer)
        reject(signal?.reason)
      }
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }, Math.max(0, ms))
      signal?.addEventListener('abort', onAbort, { once: true })
    }),
}

/** Formats epoch milliseconds as RFC 3339 UTC with milliseconds. */
export function toRfc3339(epochMs: number): string {
  return new Date(epochMs).toISOString()
}
