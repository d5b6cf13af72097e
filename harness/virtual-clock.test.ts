import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { VirtualClock } from './virtual-clock'

const START = Date.UTC(2024, 0, 1)

describe('VirtualClock', () => {
  test('fires timers in time then registration order', async () => {
    const clock = new VirtualClock({ start: START })
    const fired: string[] = []
    clock.at(START + 2000, () => fired.push('b'))
    clock.at(START + 1000, () => fired.push('a1'))
    clock.at(START + 1000, () => fired.push('a2'))
    clock.at(START + 5000, () => fired.push('late'))

    await clock.runUntil(START + 3000)

    expect(fired).toEqual(['a1', 'a2', 'b'])
    expect(clock.now()).toBe(START + 3000)
    expect(clock.pendingTimers()).toBe(1)
  })

  test('abort stops runUntil at the last fired timer', async () => {
    const clock = new VirtualClock({ start: START })
    const controller = new AbortController()
    const fired: string[] = []
    clock.at(START + 1000, () => fired.push('first'))
    clock.at(START + 2000, () => {
      fired.push('aborting')
      controller.abort(new Error('stop'))
    })
    clock.at(START + 3000, () => fired.push('after abort'))

    await clock.runUntil(START + 86_400_000, controller.signal)

    expect(fired).toEqual(['first', 'aborting'])
    expect(clock.now()).toBe(START + 2000)
    expect(clock.pendingTimers()).toBe(1)
  })

  test('sleep resolves at its virtual time', async () => {
    const clock = new VirtualClock({ start: START })
    const woke: number[] = []
    void clock.sleep(60_000).then(() => woke.push(clock.now()))
    void clock.sleep(1000).then(async () => {
      woke.push(clock.now())
      await clock.sleep(500)
      woke.push(clock.now())
    })

    await clock.runUntil(START + 86_400_000)

    expect(woke).toEqual([START + 1000, START + 1500, START + 60_000])
  })

  test('aborted sleep rejects and never fires', async () => {
    const clock = new VirtualClock({ start: START })
    const controller = new AbortController()
    const sleeping = clock.sleep(10_000, controller.signal)
    controller.abort(new Error('stop'))

    await expect(sleeping).rejects.toThrow('stop')
    expect(clock.pendingTimers()).toBe(0)
  })

  test('cancelled timer does not fire', async () => {
    const clock = new VirtualClock({ start: START })
    const fired: number[] = []
    const cancel = clock.at(START + 10, () => fired.push(1))
    clock.at(START + 20, () => fired.push(2))
    cancel()

    await clock.runUntil(START + 100)

    expect(fired).toEqual([2])
  })

  test('runUntilSettled stops when the promise settles', async () => {
    const clock = new VirtualClock({ start: START })
    const work = (async () => {
      await clock.sleep(1000)
      await clock.sleep(1000)
      return 'done'
    })()
    clock.at(START + 60_000, () => undefined)

    const settled = await clock.runUntilSettled(work, START + 3_600_000)

    expect(settled).toBe(true)
    expect(clock.now()).toBe(START + 2000)
    expect(clock.pendingTimers()).toBe(1)
  })

  test('waits for in-flight requests before firing timers', async () => {
    const clock = new VirtualClock({ start: START })
    const server = http.createServer((_request, response) => {
      // The server-side delay runs on the virtual clock, like the emulator's delay fault.
      void clock.serverView().sleep(30_000).then(() => {
        response.setHeader('content-type', 'text/plain')
        response.end(`answered at ${clock.now() - START}`)
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as AddressInfo).port
    const trackedFetch = clock.trackFetch(fetch)
    const order: string[] = []

    try {
      clock.at(START + 10_000, () => order.push('timer at 10s'))
      clock.at(START + 45_000, () => order.push('timer at 45s'))
      const request = trackedFetch(`http://127.0.0.1:${port}/`).then(async (response) => {
        order.push(await response.text())
      })

      await clock.runUntil(START + 60_000)
      await request

      expect(order).toEqual(['timer at 10s', 'answered at 30000', 'timer at 45s'])
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })

  test('client timeout during a server delay does not stall the clock', async () => {
    const clock = new VirtualClock({ start: START })
    const server = http.createServer((_request, response) => {
      void clock.serverView().sleep(60_000).then(() => {
        if (!response.destroyed) response.end('late')
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as AddressInfo).port
    const trackedFetch = clock.trackFetch(fetch)
    const controller = new AbortController()

    try {
      void clock.sleep(10_000).then(() => controller.abort(new Error('request timed out')))
      const request = trackedFetch(`http://127.0.0.1:${port}/`, { signal: controller.signal }).then(
        () => 'answered',
        (error: Error) => `${error.message} at ${clock.now() - START}`,
      )

      await clock.runUntil(START + 120_000)

      expect(await request).toBe('request timed out at 10000')
      expect(clock.now()).toBe(START + 120_000)
    } finally {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })

  test('tracked fetch propagates errors unchanged', async () => {
    const clock = new VirtualClock({ start: START })
    const failure = new TypeError('fetch failed')
    const trackedFetch = clock.trackFetch(() => Promise.reject(failure))

    await expect(trackedFetch('http://127.0.0.1:9/')).rejects.toBe(failure)
    await clock.runUntil(START + 1)
    expect(clock.now()).toBe(START + 1)
  })

  test('tracked fetch keeps an empty 204 body', async () => {
    const clock = new VirtualClock({ start: START })
    const trackedFetch = clock.trackFetch(async () => new Response(null, { status: 204 }))

    const response = await trackedFetch('http://127.0.0.1:9/')

    expect(response.status).toBe(204)
    expect(await response.text()).toBe('')
  })

  test('a simulated day of 5-minute polls runs fast', async () => {
    const clock = new VirtualClock({ start: START })
    const polls: number[] = []
    const schedule = (time: number): void => {
      clock.at(time, () => {
        polls.push(time)
        void clock.sleep(2000).then(() => schedule(time + 300_000))
      })
    }
    schedule(START)

    await clock.runUntil(START + 86_400_000)

    expect(polls).toHaveLength(289)
    expect(polls.at(-1)).toBe(START + 86_400_000)
  })
})
