import { createManualClock, createSystemClock, isSettableClock, parseDuration, parseInstant } from './clock'

describe('parseDuration', () => {
  it.each([
    ['90m', 5_400_000],
    ['2h', 7_200_000],
    ['30s', 30_000],
    ['1d', 86_400_000],
    ['250ms', 250],
    ['1h30m', 5_400_000],
    ['1500', 1500],
    [2500, 2500],
  ])('reads %p', (input, expected) => {
    expect(parseDuration(input)).toBe(expected)
  })

  it.each(['', 'abc', '5x', '10m later', '-', null, {}])('rejects %p', (input) => {
    expect(parseDuration(input)).toBeUndefined()
  })
})

describe('parseInstant', () => {
  it('reads zone-less date-times as UTC', () => {
    expect(parseInstant('2024-05-01T10:00:00')).toBe(Date.UTC(2024, 4, 1, 10))
  })

  it('reads offsets and epoch milliseconds', () => {
    expect(parseInstant('2024-05-01T12:00:00+02:00')).toBe(Date.UTC(2024, 4, 1, 10))
    expect(parseInstant('1700000000000')).toBe(1_700_000_000_000)
    expect(parseInstant(42)).toBe(42)
  })

  it('rejects instants outside 1970 to 9999', () => {
    expect(parseInstant(1e20)).toBeUndefined()
    expect(parseInstant(-1)).toBeUndefined()
    expect(parseInstant('100000000000000000000')).toBeUndefined()
    expect(parseInstant('1969-12-31T23:59:59Z')).toBeUndefined()
    expect(parseInstant('9999-12-31T23:59:59.999Z')).toBe(Date.UTC(9999, 11, 31, 23, 59, 59, 999))
  })

  it('rejects text that is no date', () => {
    expect(parseInstant('yesterday')).toBeUndefined()
    expect(parseInstant('')).toBeUndefined()
  })
})

describe('createManualClock', () => {
  it('moves only on set and advance', () => {
    const clock = createManualClock(1000)
    clock.advance(500)
    expect(clock.now()).toBe(1500)
    clock.set(10)
    expect(clock.now()).toBe(10)
  })

  it('wakes sleepers once advanced past their time', async () => {
    const clock = createManualClock(0)
    let woke = false
    const sleeping = clock.sleep(1000).then(() => {
      woke = true
    })
    clock.advance(999)
    await Promise.resolve()
    expect(woke).toBe(false)
    clock.advance(1)
    await sleeping
    expect(woke).toBe(true)
  })
})

describe('createSystemClock', () => {
  it('applies set and advance as an offset to real time', () => {
    const clock = createSystemClock()
    expect(isSettableClock(clock)).toBe(true)
    clock.set(Date.UTC(2030, 0, 1))
    clock.advance(60_000)
    const drift = clock.now() - (Date.UTC(2030, 0, 1) + 60_000)
    expect(drift).toBeGreaterThanOrEqual(0)
    expect(drift).toBeLessThan(5_000)
  })
})

describe('createSystemClock sleep', () => {
  const maxTimerMs = 2 ** 31 - 1

  afterEach(() => {
    jest.restoreAllMocks()
    jest.useRealTimers()
  })

  it('splits waits longer than one timer', async () => {
    jest.useFakeTimers()
    const setTimeoutSpy = jest.spyOn(global, 'setTimeout')
    const clock = createSystemClock()
    let woke = false
    const sleeping = clock.sleep(maxTimerMs + 5_000).then(() => {
      woke = true
    })
    await jest.advanceTimersByTimeAsync(maxTimerMs)
    expect(woke).toBe(false)
    await jest.advanceTimersByTimeAsync(5_000)
    await sleeping
    expect(woke).toBe(true)
    const delays = setTimeoutSpy.mock.calls.map((call) => call[1] ?? 0)
    expect(Math.max(...delays)).toBeLessThanOrEqual(maxTimerMs)
  })

  it('stops a split wait on abort', async () => {
    jest.useFakeTimers()
    const clock = createSystemClock()
    const controller = new AbortController()
    const sleeping = clock.sleep(maxTimerMs * 3, controller.signal)
    await jest.advanceTimersByTimeAsync(maxTimerMs + 1)
    controller.abort(new Error('stopped'))
    await expect(sleeping).rejects.toThrow('stopped')
  })
})
