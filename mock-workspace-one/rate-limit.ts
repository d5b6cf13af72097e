import type { RateLimitHeaders } from './headers'

export const DEFAULT_DAILY_QUOTA = 250_000
const DAY_MS = 86_400_000
const MINUTE_MS = 60_000

export type RateLimitDecision =
  | { allowed: true; headers: RateLimitHeaders | undefined }
  | {
      allowed: false
      headers: RateLimitHeaders | undefined
      retryAfterSeconds: number
      reason: 'daily-quota' | 'throttle'
      message: string
    }

/**
 * Per-tenant request limits: a daily quota and a per-minute throttle, either
 * off when 0. The daily window starts at the first request and ends 24 hours
 * later, so `x-ratelimit-reset` is one fixed epoch for the whole window, as
 * recorded on real tenants. The minute window works the same way over 60 s.
 * A request rejected with 429 does not consume quota.
 */
export class RateLimiter {
  private dayWindowEnd = 0
  private dayUsed = 0
  private minuteWindowEnd = 0
  private minuteUsed = 0

  constructor(
    private dailyQuota: number,
    private throttlePerMinute: number,
  ) {}

  configure(dailyQuota: number, throttlePerMinute: number): void {
    this.dailyQuota = dailyQuota
    this.throttlePerMinute = throttlePerMinute
  }

  /** Counts one request at `now` and decides whether it may proceed. */
  consume(now: number): RateLimitDecision {
    this.rollWindows(now)

    if (this.dailyQuota > 0 && this.dayUsed >= this.dailyQuota) {
      return {
        allowed: false,
        headers: this.headers(),
        retryAfterSeconds: secondsUntil(this.dayWindowEnd, now),
        reason: 'daily-quota',
        message: `The daily API quota of ${this.dailyQuota} requests for this organization group is exhausted.`,
      }
    }
    if (this.throttlePerMinute > 0 && this.minuteUsed >= this.throttlePerMinute) {
      return {
        allowed: false,
        headers: this.headers(),
        retryAfterSeconds: secondsUntil(this.minuteWindowEnd, now),
        reason: 'throttle',
        message: `The server throttling limit of ${this.throttlePerMinute} requests per minute was exceeded.`,
      }
    }

    this.dayUsed += 1
    this.minuteUsed += 1
    return { allowed: true, headers: this.headers() }
  }

  /**
   * Returns the header values at `now` without counting a request, starting
   * a new window when the last one ended. Undefined when the quota is off.
   */
  peek(now: number): RateLimitHeaders | undefined {
    this.rollWindows(now)
    return this.headers()
  }

  private rollWindows(now: number): void {
    if (now >= this.dayWindowEnd) {
      this.dayWindowEnd = now + DAY_MS
      this.dayUsed = 0
    }
    if (now >= this.minuteWindowEnd) {
      this.minuteWindowEnd = now + MINUTE_MS
      this.minuteUsed = 0
    }
  }

  private headers(): RateLimitHeaders | undefined {
    if (this.dailyQuota <= 0) return undefined
    return {
      limit: this.dailyQuota,
      remaining: Math.max(0, this.dailyQuota - this.dayUsed),
      resetEpochSeconds: Math.floor(this.dayWindowEnd / 1000),
    }
  }

  reset(): void {
    this.dayWindowEnd = 0
    this.dayUsed = 0
    this.minuteWindowEnd = 0
    this.minuteUsed = 0
  }
}

function secondsUntil(endMs: number, now: number): number {
  return Math.max(1, Math.ceil((endMs - now) / 1000))
}
