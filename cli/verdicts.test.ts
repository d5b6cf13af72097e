import type { PostureResult } from '../posture-checker/types'
import { createPalette } from './format'
import { countResults, diffResults, formatChange, formatVerdictTable, indexResults } from './verdicts'

function makeResult(overrides: Partial<PostureResult>): PostureResult {
  return {
    ClientVersion: '',
    DeviceID: 'cf-1',
    DeviceManufacturer: '',
    DeviceModel: '',
    DeviceName: 'laptop-1',
    DeviceSerialNumber: 'C02ABC',
    DeviceType: 'mac',
    Email: 'a@example.test',
    OSVersion: '',
    PolicyID: 'rule-1',
    PostureCheckName: 'WS1 compliant',
    PostureCheckType: 'workspace_one',
    PostureEvaluatedResult: true,
    PostureExpectedJSON: '{"compliance_status":"compliant"}',
    PostureReceivedJSON: '{"compliance_status":"compliant"}',
    Timestamp: '2024-01-01T00:00:00Z',
    UserUID: '',
    status: 'compliant',
    reason: 'all_flags_pass',
    detail: '',
    matchedWs1Id: 17,
    matchedWs1Uuid: null,
    fresh: true,
    evaluatedAt: '2024-01-01T00:00:00Z',
    poll: 1,
    ...overrides,
  }
}

const plain = createPalette(false)

describe('formatVerdictTable', () => {
  it('prints one row per result', () => {
    const table = formatVerdictTable(
      [
        makeResult({}),
        makeResult({
          DeviceID: 'cf-2',
          DeviceName: '',
          DeviceSerialNumber: '',
          PostureEvaluatedResult: false,
          status: 'unknown',
          reason: 'no_serial',
          matchedWs1Id: null,
          fresh: false,
          evaluatedAt: '2023-12-31T23:50:00Z',
        }),
      ],
      plain,
    )
    const lines = table.trimEnd().split('\n')
    expect(lines).toHaveLength(4)
    expect(lines[2]).toMatch(/^laptop-1\s+"C02ABC"\s+mac\s+WS1 compliant\s+compliant\s+pass\s+all_flags_pass\s+17$/)
    expect(lines[3]).toMatch(/^cf-2\s+-\s+mac\s+WS1 compliant\s+unknown\s+fail\s+no_serial \(stale\)\s+-$/)
  })

  it('does not call a first failed poll stale', () => {
    const failed = makeResult({
      status: 'unknown',
      reason: 'provider_error',
      PostureEvaluatedResult: false,
      fresh: false,
      detail: 'no earlier result; poll 1 failed',
    })
    const table = formatVerdictTable([failed], plain)
    expect(table).not.toContain('(stale)')
    expect(countResults([failed]).stale).toBe(0)
  })

  it('quotes serials so whitespace stays visible', () => {
    const table = formatVerdictTable([makeResult({ DeviceSerialNumber: ' c02abc ' })], plain)
    expect(table).toContain('" c02abc "')
  })
})

describe('countResults', () => {
  it('counts statuses, verdicts and stale results', () => {
    const counts = countResults([
      makeResult({}),
      makeResult({ status: 'noncompliant', PostureEvaluatedResult: false }),
      makeResult({ status: 'unknown', PostureEvaluatedResult: false, fresh: false, evaluatedAt: '2023-12-31T23:50:00Z' }),
    ])
    expect(counts).toEqual({
      total: 3,
      pass: 1,
      fail: 2,
      compliant: 1,
      noncompliant: 1,
      unknown: 1,
      stale: 1,
    })
  })
})

describe('diffResults', () => {
  it('reports a device seen for the first time', () => {
    const changes = diffResults(new Map(), [makeResult({})])
    expect(changes).toHaveLength(1)
    expect(changes[0]?.before).toBeUndefined()
  })

  it('ignores an unchanged verdict', () => {
    const previous = indexResults([makeResult({ poll: 1 })])
    expect(diffResults(previous, [makeResult({ poll: 2 })])).toEqual([])
  })

  it('reports a status change with the reason', () => {
    const previous = indexResults([makeResult({})])
    const after = makeResult({
      status: 'noncompliant',
      PostureEvaluatedResult: false,
      reason: 'flag_failed',
      detail: 'Firewall failed',
    })
    const changes = diffResults(previous, [after])
    expect(changes).toHaveLength(1)
    expect(formatChange(changes[0]!, plain)).toBe(
      'laptop-1 · WS1 compliant: compliant/pass -> noncompliant/fail (flag_failed: Firewall failed)',
    )
  })

  it('keys results by device and rule', () => {
    const previous = indexResults([makeResult({ PolicyID: 'rule-1' })])
    const changes = diffResults(previous, [makeResult({ PolicyID: 'rule-2', PostureCheckName: 'other' })])
    expect(changes).toHaveLength(1)
  })
})
