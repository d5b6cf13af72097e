import { RateLimiter } from './rate-limit'

const START = Date.UTC(2024, 0, 1, 9)

describe('RateLimiter', () => {
  it('drops remaining by one per request within one window', () => {
    const limiter = new RateLimiter(5, 0)
    const first = limiter.consume(START)
    const second = limiter.consume(START + 17 * 3_600_000)
    expect(first.headers?.remaining).toBe(4)
    expect(second.headers?.remaining).toBe(3)
    expect(second.headers?.resetEpochSeconds).toBe(first.headers?.resetEpochSeconds)
    expect(first.headers?.resetEpochSeconds).toBe((START + 86_400_000) / 1000)
  })

  it('rejects past the daily quota until the window ends', () => {
    const limiter = new RateLimiter(2, 0)
    limiter.consume(START)
    limiter.consume(START + 1000)
    const rejected = limiter.consume(START + 2000)
    expect(rejected.allowed).toBe(false)
    if (rejected.allowed) return
    expect(rejected.reason).toBe('daily-quota')
    expect(rejected.retryAfterSeconds).toBe(86_400 - 2)
    expect(rejected.headers?.remaining).toBe(0)
    const nextWindow = limiter.consume(START + 86_400_000)
    expect(nextWindow.allowed).toBe(true)
    expect(nextWindow.headers?.remaining).toBe(1)
  })

  it('throttles per minute', () => {
    const limiter = new RateLimiter(0, 2)
    limiter.consume(START)
    limiter.consume(START + 10_000)
    const rejected = limiter.consume(START + 15_000)
    expect(rejected.allowed).toBe(false)
    if (rejected.allowed) return
    expect(rejected.reason).toBe('throttle')
    expect(rejected.retryAfterSeconds).toBe(45)
    expect(limiter.consume(START + 60_000).allowed).toBe(true)
  })

  it('peeks without counting', () => {
    const limiter = new RateLimiter(5, 0)
    const peeked = limiter.peek(START)
    expect(peeked?.remaining).toBe(5)
    expect(peeked?.resetEpochSeconds).toBe((START + 86_400_000) / 1000)
    expect(limiter.consume(START + 1).headers?.remaining).toBe(4)
  })

  it('sends no headers when the quota is off', () => {
    const limiter = new RateLimiter(0, 0)
    expect(limiter.consume(START).headers).toBeUndefined()
  })
})
