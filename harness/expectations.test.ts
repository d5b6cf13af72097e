import type { PostureRule } from '../posture-checker/types'
import { evaluateExpectations, gatewayRefreshAfter, nextPollTick, type EvaluationContext } from './expectations'
import { START_MS, fakeEntry, fakePoll, fakeResult } from './test-fixtures'

const MINUTE = 60_000
const RULES: PostureRule[] = [
  { id: 'rule-1', name: 'Workspace ONE compliant', type: 'workspace_one', input: { compliance_status: 'compliant', connection_id: 'ws1' } },
]

function context(polls: EvaluationContext['polls'], intervalMs = 5 * MINUTE): EvaluationContext {
  return { polls, rules: RULES, startMs: START_MS, intervalMs }
}

describe('device expectations', () => {
  const polls = [
    fakePoll(1, 0, [fakeResult({ DeviceID: 'd-1', DeviceSerialNumber: 'FAKE1 ' })]),
    fakePoll(2, 5 * MINUTE, [
      fakeResult({ DeviceID: 'd-1', DeviceSerialNumber: 'FAKE1 ', status: 'noncompliant', reason: 'flag_failed', PostureEvaluatedResult: false }),
    ]),
  ]

  test('last poll by default', () => {
    const [result] = evaluateExpectations({ devices: [{ device: 'd-1', status: 'noncompliant', result: 'fail' }] }, context(polls))

    expect(result?.passed).toBe(true)
    expect(result?.actual).toBe('status=noncompliant, result=fail')
  })

  test('after_poll and at select earlier polls', () => {
    const results = evaluateExpectations(
      { devices: [{ device: 'd-1', after_poll: 1, status: 'compliant' }, { device: 'd-1', at: '4m', status: 'compliant' }] },
      context(polls),
    )

    expect(results.map((result) => result.passed)).toEqual([true, true])
  })

  test('device found by trimmed serial', () => {
    const [result] = evaluateExpectations({ devices: [{ device: 'FAKE1', reason: 'flag_failed' }] }, context(polls))

    expect(result?.passed).toBe(true)
  })

  test('wrong value fails with the actual value and detail', () => {
    const [result] = evaluateExpectations({ devices: [{ device: 'd-1', status: 'compliant' }] }, context(polls))

    expect(result?.passed).toBe(false)
    expect(result?.expected).toBe('status=compliant')
    expect(result?.actual).toContain('status=noncompliant')
  })

  test('unknown device fails', () => {
    const [result] = evaluateExpectations({ devices: [{ device: 'd-9', status: 'compliant' }] }, context(polls))

    expect(result?.passed).toBe(false)
    expect(result?.actual).toBe('no result for this device in poll 2')
  })

  test('time before the first poll finished fails', () => {
    const late = [fakePoll(1, 5 * MINUTE, [fakeResult({ DeviceID: 'd-1' })])]
    const [result] = evaluateExpectations({ devices: [{ device: 'd-1', at: '1m', status: 'compliant' }] }, context(late))

    expect(result?.passed).toBe(false)
    expect(result?.actual).toBe('no poll had finished')
  })
})

describe('count expectations', () => {
  const polls = [
    fakePoll(1, 0, [
      fakeResult({ DeviceID: 'd-1' }),
      fakeResult({ DeviceID: 'd-2', status: 'unknown', reason: 'not_found', PostureEvaluatedResult: false, fresh: false }),
      fakeResult({ DeviceID: 'd-3', status: 'noncompliant', PostureEvaluatedResult: false }),
    ]),
  ]

  test('counts per status, verdict and freshness', () => {
    const [result] = evaluateExpectations(
      { counts: [{ total: 3, compliant: 1, unknown: 1, noncompliant: 1, pass: 1, fail: 2, fresh: 2, stale: 1 }] },
      context(polls),
    )

    expect(result?.passed).toBe(true)
  })

  test('wrong count fails', () => {
    const [result] = evaluateExpectations({ counts: [{ unknown: 0 }] }, context(polls))

    expect(result?.passed).toBe(false)
    expect(result?.actual).toBe('unknown=1')
  })
})

describe('poll expectations', () => {
  const polls = [
    fakePoll(1, 0, []),
    fakePoll(2, 5 * MINUTE, [], { outcome: { complete: false, error: { kind: 'provider', code: 'html_body', message: 'HTML body' } } }),
  ]

  test('single poll with error kind and code', () => {
    const [result] = evaluateExpectations({ polls: [{ poll: 2, complete: false, error: { kind: 'provider', code: 'html_body' } }] }, context(polls))

    expect(result?.passed).toBe(true)
  })

  test('all polls must match', () => {
    const [result] = evaluateExpectations({ polls: [{ complete: true, error: 'none' }] }, context(polls))

    expect(result?.passed).toBe(false)
    expect(result?.actual).toContain('poll 2: complete=false, error=provider/html_body')
  })

  test('polls_run counts polls', () => {
    const [result] = evaluateExpectations({ polls_run: 3 }, context(polls))

    expect(result?.passed).toBe(false)
    expect(result?.actual).toBe('2')
  })
})

describe('journal expectations', () => {
  const journal = [
    fakeEntry({ time: START_MS, method: 'POST', path: '/connect/token', query: {} }),
    fakeEntry({ time: START_MS, query: { page: '0' } }),
    fakeEntry({ time: START_MS, query: { Page: '1' }, status: 500 }),
    fakeEntry({ time: START_MS, query: { page: '1' } }),
  ]
  const polls = [fakePoll(1, 0, [], { journal })]

  test('request filters and bounds', () => {
    const results = evaluateExpectations(
      {
        journal: {
          max_requests_per_poll: 4,
          requests: [
            { path: '/devices/search', query: { page: '1' }, count: 2 },
            { method: 'post', path: 'CONNECT/TOKEN', count: 1 },
            { status: 500, min: 1, max: 1 },
          ],
        },
      },
      context(polls),
    )

    expect(results.map((result) => result.passed)).toEqual([true, true, true, true])
  })

  test('too many requests per poll fails', () => {
    const [result] = evaluateExpectations({ journal: { max_requests_per_poll: 3 } }, context(polls))

    expect(result?.passed).toBe(false)
    expect(result?.actual).toBe('4 requests in poll 1')
  })
})

describe('Access and Gateway latency', () => {
  test('next poll tick includes a change at the tick', () => {
    expect(nextPollTick(15 * MINUTE, 5 * MINUTE)).toBe(15 * MINUTE)
    expect(nextPollTick(12 * MINUTE, 10 * MINUTE)).toBe(20 * MINUTE)
  })

  test('Gateway refreshes strictly after Access', () => {
    expect(gatewayRefreshAfter(20 * MINUTE)).toBe(25 * MINUTE)
    expect(gatewayRefreshAfter(21 * MINUTE)).toBe(25 * MINUTE)
    expect(gatewayRefreshAfter(0)).toBe(5 * MINUTE)
  })

  const polls = [0, 10, 20, 30].map((minute, index) =>
    fakePoll(index + 1, minute * MINUTE, [fakeResult({ DeviceID: 'd-1', status: minute >= 20 ? 'noncompliant' : 'compliant' })]),
  )

  test('computed times match the run', () => {
    const [result] = evaluateExpectations({ latency: [{ device: 'd-1', change_at: '12m', to: 'noncompliant' }] }, context(polls, 10 * MINUTE))

    expect(result?.passed).toBe(true)
    expect(result?.actual).toBe('Access at 20m (poll 3), Gateway at 25m')
  })

  test('given times that disagree with the computation fail', () => {
    const [result] = evaluateExpectations(
      { latency: [{ device: 'd-1', change_at: '12m', to: 'noncompliant', access_at: '20m', gateway_at: '30m' }] },
      context(polls, 10 * MINUTE),
    )

    expect(result?.passed).toBe(false)
  })

  test('a late poll fails the computed Access time', () => {
    const late = polls.map((poll) => (poll.poll === 3 ? { ...poll, finishedAtMs: 22 * MINUTE } : poll))
    const [result] = evaluateExpectations({ latency: [{ device: 'd-1', change_at: '12m', to: 'noncompliant' }] }, context(late, 10 * MINUTE))

    expect(result?.passed).toBe(false)
    expect(result?.actual).toBe('Access at 22m (poll 3), Gateway at 25m')
  })

  test('status already there before the change fails', () => {
    // d-1 is noncompliant from the 20m poll on, so a change at 25m has nothing left to change.
    const [result] = evaluateExpectations({ latency: [{ device: 'd-1', change_at: '25m', to: 'noncompliant' }] }, context(polls, 10 * MINUTE))

    expect(result?.passed).toBe(false)
    expect(result?.actual).toBe('already noncompliant in poll 3, before the change at 25m')
  })

  test('poll at the change time is not before it', () => {
    // The poll at 20m starts at change_at, so it is the first poll after the change, and poll 2 is the one before.
    const [result] = evaluateExpectations({ latency: [{ device: 'd-1', change_at: '20m', to: 'noncompliant' }] }, context(polls, 10 * MINUTE))

    expect(result?.passed).toBe(true)
    expect(result?.actual).toBe('Access at 20m (poll 3), Gateway at 25m')
  })
})
