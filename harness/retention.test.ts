import path from 'node:path'
import { loadScenarioFiles } from './loader'
import type { PollRecord, RunEvent } from './report'
import { ResultsKeeper } from './retention'
import { runScenario } from './runner'
import type { ExpectSection, ScenarioSpec } from './spec'
import { evaluateExpectations } from './expectations'
import { START_MS, fakePoll, fakeResult } from './test-fixtures'

const SCENARIOS_DIR = path.join(__dirname, '..', 'scenarios')
const FIVE_MINUTES = 300_000

/** Builds polls 5 minutes apart with one result each. Device `d1` is noncompliant from poll `turnsAt` on. */
function pollsOfDay(count: number, turnsAt: number): PollRecord[] {
  return Array.from({ length: count }, (_, index) => {
    const poll = index + 1
    const status = poll >= turnsAt ? 'noncompliant' : 'compliant'
    return fakePoll(poll, index * FIVE_MINUTES, [fakeResult({ DeviceID: 'd1', status, poll })], { durationMs: 1_000 })
  })
}

/** Feeds the polls to a keeper one by one and returns the numbers of those that kept their results. */
function keptPolls(expect: ExpectSection | undefined, polls: PollRecord[]): number[] {
  const keeper = new ResultsKeeper(expect)
  for (const poll of polls) keeper.add(poll)
  return polls.filter((poll) => poll.resultsKept).map((poll) => poll.poll)
}

describe('ResultsKeeper', () => {
  test('keeps only the last poll by default', () => {
    const polls = pollsOfDay(6, 99)

    expect(keptPolls({ polls_run: 6 }, polls)).toEqual([6])
    expect(polls[0]?.outcome.results).toEqual([])
    expect(polls[0]?.resultCount).toBe(1)
    expect(polls[0]?.counts).toEqual({ compliant: 1, noncompliant: 0, unknown: 0 })
  })

  test('keeps the polls named by after_poll', () => {
    const expect_: ExpectSection = { devices: [{ device: 'd1', after_poll: 2 }], counts: [{ after_poll: 4, total: 1 }] }

    expect(keptPolls(expect_, pollsOfDay(6, 99))).toEqual([2, 4, 6])
  })

  test('keeps the last poll finished by each at time', () => {
    // Poll 3 starts at 10m and finishes at 10m 1s, so at 10m reads poll 2 and at 10m 1s reads poll 3.
    const expect_: ExpectSection = { devices: [{ device: 'd1', at: '10m' }], counts: [{ at: '10m1s', total: 1 }] }

    expect(keptPolls(expect_, pollsOfDay(6, 99))).toEqual([2, 3, 6])
  })

  test('keeps the polls around a latency change', () => {
    const expect_: ExpectSection = { latency: [{ device: 'd1', change_at: '12m', to: 'noncompliant' }] }

    // Poll 3 (at 10m) is the last before the change at 12m, and d1 turns noncompliant in poll 4 (at 15m).
    expect(keptPolls(expect_, pollsOfDay(8, 4))).toEqual([3, 4, 8])
  })

  test('keeps the poll before a change at a poll tick', () => {
    const expect_: ExpectSection = { latency: [{ device: 'd1', change_at: '15m', to: 'noncompliant' }] }

    // Poll 4 starts at 15m, the change time, so poll 3 (at 10m) is the last one started before it.
    expect(keptPolls(expect_, pollsOfDay(8, 4))).toEqual([3, 4, 8])
  })

  test('keeps the poll before an unreported change', () => {
    const expect_: ExpectSection = { latency: [{ device: 'd1', change_at: '22m', to: 'noncompliant' }] }

    // d1 never turns noncompliant, so only poll 5 (at 20m), the last before 22m, is read.
    expect(keptPolls(expect_, pollsOfDay(8, 99))).toEqual([5, 8])
  })

  test('kept poll fails a latency check', () => {
    const polls = pollsOfDay(8, 2)
    const expect_: ExpectSection = { latency: [{ device: 'd1', change_at: '12m', to: 'noncompliant' }] }
    keptPolls(expect_, polls)

    const [result] = evaluateExpectations(expect_, { polls, rules: [], startMs: START_MS, intervalMs: FIVE_MINUTES })

    expect(result?.passed).toBe(false)
    expect(result?.actual).toBe('already noncompliant in poll 3, before the change at 12m')
  })

  test('keeps every poll with keepResults all', async () => {
    const { scenarios } = await loadScenarioFiles([path.join(SCENARIOS_DIR, 'flag-flip-latency.yaml')])
    const scenario = scenarios[0]
    if (scenario === undefined) throw new Error('flag-flip-latency.yaml has no scenario')

    const report = await runScenario(scenario, { keepResults: 'all' })

    expect(report.polls.every((poll) => poll.resultsKept && poll.outcome.results.length === poll.resultCount)).toBe(true)
  })
})

describe('runs with the default retention', () => {
  // These files have at, after_poll or latency expectations.
  test('bundled scenarios give the same verdicts', async () => {
    const files = ['demo-story', 'duplicate-serials', 'flag-flip-latency', 'outage-and-expiration', 'paging-to-the-end', 'secret-rotation', 'server-errors-mid-paging'].map((name) =>
      path.join(SCENARIOS_DIR, `${name}.yaml`),
    )
    const { scenarios, errors } = await loadScenarioFiles(files)
    expect(errors).toEqual([])

    for (const scenario of scenarios) {
      const verdictEvents: Array<Extract<RunEvent, { type: 'verdicts' }>> = []
      const lean = await runScenario(scenario, { onEvent: (event) => event.type === 'verdicts' && verdictEvents.push(event) })
      const full = await runScenario(scenario, { keepResults: 'all' })

      expect([scenario.name, lean.expectations]).toEqual([scenario.name, full.expectations])
      expect(lean.polls.map((poll) => poll.resultCount)).toEqual(full.polls.map((poll) => poll.outcome.results.length))
      // The events carried every poll's results, also those the report dropped.
      expect(verdictEvents.map((event) => event.results)).toEqual(full.polls.map((poll) => poll.outcome.results))
    }
  })

  test('run keeps the poll before a latency change', async () => {
    // The Firewall flag fails from the start, so the change at 7m changes nothing.
    const spec: ScenarioSpec = {
      name: 'change that never happened',
      duration: '15m',
      fleet: { devices: [{ serial: 'STILL1', platform: 'WinRT', policies: { Firewall: 'fail' } }] },
      cloudflare: { mirror_fleet: true },
      expect: { latency: [{ device: 'STILL1', change_at: '7m', to: 'noncompliant' }] },
    }

    const report = await runScenario(spec)

    expect(report.polls.map((poll) => poll.resultsKept)).toEqual([false, true, true, true])
    expect(report.expectations[0]?.passed).toBe(false)
    expect(report.expectations[0]?.actual).toBe('already noncompliant in poll 2, before the change at 7m')
  })

  test('long run drops unread results', async () => {
    const { scenarios } = await loadScenarioFiles([path.join(SCENARIOS_DIR, 'flag-flip-latency.yaml')])
    const scenario = scenarios[0]
    if (scenario === undefined) throw new Error('flag-flip-latency.yaml has no scenario')

    const report = await runScenario(scenario)

    const dropped = report.polls.filter((poll) => !poll.resultsKept)
    expect(dropped.length).toBeGreaterThan(0)
    expect(dropped.every((poll) => poll.outcome.results.length === 0 && poll.resultCount > 0)).toBe(true)
    expect(report.polls.at(-1)?.resultsKept).toBe(true)
  })
})
