import { MAX_TIMER_MS, systemClock } from './clock'

describe('systemClock sleep', () => {
  afterEach(() => {
    jest.restoreAllMocks()
    jest.useRealTimers()
  })

  it('splits waits longer than one timer', async () => {
    jest.useFakeTimers()
    const setTimeoutSpy = jest.spyOn(global, 'setTimeout')
    let woke = false
    const sleeping = systemClock.sleep(25 * 86_400_000).then(() => {
      woke = true
    })
    await jest.advanceTimersByTimeAsync(MAX_TIMER_MS)
    expect(woke).toBe(false)
    await jest.advanceTimersByTimeAsync(25 * 86_400_000 - MAX_TIMER_MS)
    await sleeping
    expect(woke).toBe(true)
    const delays = setTimeoutSpy.mock.calls.map((call) => call[1] ?? 0)
    expect(Math.max(...delays)).toBeLessThanOrEqual(MAX_TIMER_MS)
  })

  it('resolves a zero wait', async () => {
    jest.useFakeTimers()
    const sleeping = systemClock.sleep(0)
    await jest.advanceTimersByTimeAsync(0)
    await expect(sleeping).resolves.toBeUndefined()
  })

  it('rejects on abort mid-wait', async () => {
    jest.useFakeTimers()
    const controller = new AbortController()
    const sleeping = systemClock.sleep(3 * MAX_TIMER_MS, controller.signal)
    await jest.advanceTimersByTimeAsync(MAX_TIMER_MS + 1)
    controller.abort(new Error('stopped'))
    await expect(sleeping).rejects.toThrow('stopped')
  })
})
