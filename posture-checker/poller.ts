import pino, { type Logger } from 'pino'

import type { PostureChecker } from './checker'
import type { Clock, PollOutcome } from './types'

export interface PollerOptions {
  clock: Clock
  intervalMs: number
  onPoll?: (outcome: PollOutcome) => void
  /** Receives errors thrown by onPoll; silent by default. */
  logger?: Logger
}

/**
 * Runs `checker.poll()` now and then every `intervalMs` on the injected
 * clock. Polls never overlap: a poll that takes longer than the interval
 * delays the next one.
 */
export class Poller {
  private readonly logger: Logger
  private abort: AbortController | undefined
  private loop: Promise<void> | undefined

  constructor(
    private readonly checker: PostureChecker,
    private readonly options: PollerOptions,
  ) {
    if (!Number.isFinite(options.intervalMs) || options.intervalMs <= 0) {
      throw new RangeError(`intervalMs must be a positive number of milliseconds; got ${String(options.intervalMs)}`)
    }
    this.logger = options.logger ?? pino({ level: 'silent' })
  }

  /** Starts polling; a second call while running does nothing. */
  start(): void {
    if (this.loop !== undefined) return
    const abort = new AbortController()
    this.abort = abort
    this.loop = this.run(abort.signal)
  }

  /** Stops polling. Resolves once an in-flight poll has ended and no timer is left. */
  async stop(): Promise<void> {
    this.abort?.abort()
    const loop = this.loop
    this.loop = undefined
    this.abort = undefined
    await loop
  }

  private async run(signal: AbortSignal): Promise<void> {
    const { clock, intervalMs } = this.options
    while (!signal.aborted) {
      const startedAt = clock.now()
      const outcome = await this.checker.poll()
      try {
        this.options.onPoll?.(outcome)
      } catch (error) {
        this.logger.error({ poll: outcome.poll, err: error }, 'onPoll callback failed')
      }
      if (signal.aborted) return
      const waitMs = Math.max(0, intervalMs - (clock.now() - startedAt))
      try {
        await clock.sleep(waitMs, signal)
      } catch {
        return
      }
    }
  }
}
