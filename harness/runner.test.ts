import path from 'node:path'
import { reporters } from './reporters'
import { runScenario, runScenarios, startScenarioEmulator } from './runner'
import { loadScenarioFiles } from './loader'
import type { RunEvent } from './report'
import type { ScenarioSpec } from './spec'

const SCENARIOS_DIR = path.join(__dirname, '..', 'scenarios')

const flipSpec: ScenarioSpec = {
  name: 'inline flag flip',
  seed: 7,
  duration: '10m',
  fleet: {
    generate: { count: 30, serial_prefix: 'GEN', policies: [{ name: 'Encryption', failure_rate: 0.3 }] },
    devices: [{ serial: 'FLIP1', platform: 'WinRT', policies: { Encryption: 'pass' } }],
  },
  timeline: [{ at: '5m', set_policy: { serial: 'FLIP1', policy: 'Encryption', result: 'fail' } }],
  cloudflare: { mirror_fleet: true },
  expect: {
    polls_run: 3,
    devices: [
      { device: 'FLIP1', after_poll: 1, status: 'compliant' },
      { device: 'FLIP1', status: 'noncompliant' },
    ],
    counts: [{ total: 31 }],
  },
}

describe('runScenario', () => {
  test('abort stops polling after current poll', async () => {
    const controller = new AbortController()
    const long: ScenarioSpec = { ...flipSpec, name: 'long inline run', duration: '1d', expect: {} }
    const report = await runScenarios(
      [
        { file: '<inline>', name: long.name, index: 0, spec: long },
        { file: '<inline>', name: 'never started', index: 1, spec: { ...long, name: 'never started' } },
      ],
      {
        signal: controller.signal,
        onEvent: (event) => {
          if (event.type === 'poll-end' && event.poll === 3) controller.abort(new Error('received SIGINT'))
        },
      },
    )

    expect(report.total).toBe(1)
    const first = report.scenarios[0]
    expect(first?.passed).toBe(false)
    expect(first?.timings.polls).toBe(3)
    expect(first?.error).toBe('stopped early (received SIGINT) after 3 of 289 polls')
    // The third poll starts at 10m and makes one request, so virtual time stops at its end.
    expect(first?.timings.virtualMs).toBe(first?.polls.at(-1)?.finishedAtMs)
    expect(first?.timings.virtualMs).toBe(600_000)
  })

  test('inline spec runs and passes', async () => {
    const report = await runScenario(flipSpec)

    expect(report.error).toBeUndefined()
    expect(report.expectations.filter((result) => !result.passed)).toEqual([])
    expect(report.passed).toBe(true)
    expect(report.timings.polls).toBe(3)
    expect(report.timings.virtualMs).toBe(600_000)
  })

  test('same seed gives the same bytes', async () => {
    const scenario = { file: 'inline.yaml', name: flipSpec.name, index: 0, spec: flipSpec }
    const first = await runScenarios([scenario], { keepResults: 'all' })
    const second = await runScenarios([scenario], { keepResults: 'all' })
    const withoutWallTimes = (text: string): string => text.replace(/"wallMs": \d+/g, '"wallMs": 0')

    expect(reporters.resultsNdjson(second)).toBe(reporters.resultsNdjson(first))
    expect(withoutWallTimes(reporters.json(second))).toBe(withoutWallTimes(reporters.json(first)))
    expect(reporters.resultsNdjson(first).split('\n').length).toBeGreaterThan(90)
  })

  test('invalid inline spec reports the errors and runs nothing', async () => {
    const broken = { ...flipSpec, duration: '10 minutes' }
    const events: RunEvent[] = []

    const report = await runScenario(broken, { onEvent: (event) => events.push(event) })

    expect(report.passed).toBe(false)
    expect(report.error).toContain('duration: found "10 minutes"')
    expect(report.polls).toEqual([])
    expect(events).toEqual([])
  })

  test('failing step is reported and the run still finishes', async () => {
    const spec: ScenarioSpec = {
      name: 'step on a removed device',
      duration: '10m',
      fleet: { devices: [{ serial: 'GONE1' }] },
      timeline: [
        { at: '1m', remove_device: { serial: 'GONE1' } },
        { at: '2m', unenroll: { serial: 'GONE1' } },
      ],
      cloudflare: { devices: [{ device_id: 'd-1', serial_number: 'GONE1', platform: 'windows' }] },
      expect: { polls_run: 3 },
    }

    const report = await runScenario(spec)

    expect(report.passed).toBe(false)
    expect(report.error).toMatch(/^timeline\[1\] at 2m: unenroll failed: /)
    expect(report.polls).toHaveLength(3)
    expect(report.expectations[0]?.passed).toBe(true)
  })

  test('events tell the story of the run', async () => {
    const events: RunEvent[] = []

    await runScenario(flipSpec, { onEvent: (event) => events.push(event) })

    const types = events.map((event) => event.type)
    expect(types[0]).toBe('scenario-start')
    expect(types.at(-1)).toBe('scenario-end')
    expect(types.filter((type) => type === 'poll-start')).toHaveLength(3)
    expect(types.filter((type) => type === 'poll-end')).toHaveLength(3)
    expect(types.filter((type) => type === 'token')).toHaveLength(1)
    const step = events.find((event) => event.type === 'step')
    expect(step).toMatchObject({ type: 'step', atMs: 300_000, action: 'set_policy', detail: 'serial "FLIP1": Encryption -> fail' })
    const stepIndex = types.indexOf('step')
    const secondPoll = events.findIndex((event) => event.type === 'poll-start' && event.poll === 2)
    expect(stepIndex).toBeLessThan(secondPoll)
    const lastEnd = events.filter((event) => event.type === 'poll-end').at(-1)
    expect(lastEnd).toMatchObject({ complete: true, requests: 1, pages: 1, ws1Records: 31 })
  })

  test('zone-less timestamps give the same results under any TZ', async () => {
    const { scenarios } = await loadScenarioFiles([path.join(SCENARIOS_DIR, 'timestamps-without-zone.yaml')])
    const original = process.env['TZ']
    const outputs: string[] = []
    try {
      for (const zone of ['UTC', 'America/Los_Angeles', 'Asia/Tokyo']) {
        // Node re-reads TZ when it is assigned, so Date parsing follows each zone.
        process.env['TZ'] = zone
        const report = await runScenarios(scenarios, { keepResults: 'all' })
        expect([zone, report.failed]).toEqual([zone, 0])
        outputs.push(reporters.resultsNdjson(report))
      }
    } finally {
      if (original === undefined) delete process.env['TZ']
      else process.env['TZ'] = original
    }

    expect(outputs[1]).toBe(outputs[0])
    expect(outputs[2]).toBe(outputs[0])
  })
})

describe('startScenarioEmulator', () => {
  test('serves the scenario fleet over HTTP', async () => {
    const { scenarios } = await loadScenarioFiles([path.join(SCENARIOS_DIR, 'duplicate-serials.yaml')])
    const scenario = scenarios[0]
    expect(scenario).toBeDefined()

    const server = await startScenarioEmulator(scenario!)
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      expect(server.tenant.deviceCount()).toBe(4)
      expect(server.tenant.findBySerial('R58FAKE0001')).toHaveLength(2)
    } finally {
      await server.close()
    }
  })
})
