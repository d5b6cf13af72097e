/**
 * evaluateDevices over records already read, and its agreement with a full
 * poll over the same records served as one search page.
 */
import nock from 'nock'

import { PostureChecker, evaluateDevices, readWs1Record, type Ws1Record } from './index'
import { ManualClock, createTrackingFetch, drive } from './test-clock'
import { API_ORIGIN, AUTH_ORIGIN, makeConfig, makeDevice, makeRule, searchPage, ws1Device } from './test-support'
import type { CloudflareDevice, PostureRule } from './types'

const NOW = Date.parse('2026-01-01T00:00:00Z')
const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' }

const rows: Array<Record<string, unknown>> = [
  ws1Device(1, 'PASS-1'),
  ws1Device(2, 'FAIL-2', { ComplianceSummary: { DeviceCompliance: [{ CompliantStatus: false, PolicyName: 'Encryption' }] } }),
  ws1Device(3, 'DUP-3'),
  ws1Device(4, 'DUP-3', { EnrollmentStatus: 'Unenrolled' }),
  ws1Device(5, 'MAC-5', { Platform: 'AppleOsX' }),
  ws1Device(6, 'OLD-6', { LastSeen: '2025-11-01T00:00:00.000' }),
]

const devices: CloudflareDevice[] = [
  makeDevice('d-pass', 'pass-1'),
  makeDevice('d-fail', 'FAIL-2'),
  makeDevice('d-dup', 'DUP-3'),
  makeDevice('d-mac', 'MAC-5', 'mac'),
  makeDevice('d-old', 'OLD-6'),
  makeDevice('d-none', 'MISSING-7'),
  makeDevice('d-blank', null),
]

const rules: PostureRule[] = [
  makeRule(),
  makeRule({ id: 'rule-mac', name: 'Mac only', match: [{ platform: 'mac' }] }),
]

function readAll(list: Array<Record<string, unknown>>): Ws1Record[] {
  return list.map((row) => readWs1Record(row)).filter((record): record is Ws1Record => record !== undefined)
}

function verdict(results: ReturnType<typeof evaluateDevices>, deviceId: string, policyId: string): [string, string, boolean] {
  const result = results.find((entry) => entry.DeviceID === deviceId && entry.PolicyID === policyId)
  if (result === undefined) throw new Error(`no result for ${deviceId} and ${policyId}`)
  return [result.status, result.reason, result.PostureEvaluatedResult]
}

describe('evaluateDevices', () => {
  const results = evaluateDevices(readAll(rows), devices, rules, { poll: 7 }, NOW)

  test('orders results by device then rule', () => {
    const order = results.map((result) => `${result.DeviceID}/${result.PolicyID}`)
    const expected = devices.flatMap((device) => rules.map((rule) => `${device.device_id}/${rule.id ?? rule.name}`))
    expect(order).toEqual(expected)
  })

  test('detail counts flags in words', () => {
    const twoFlags = ws1Device(8, 'TWO-8', {
      ComplianceSummary: {
        DeviceCompliance: [
          { CompliantStatus: true, PolicyName: 'Encryption' },
          { CompliantStatus: true, PolicyName: 'Firewall' },
        ],
      },
    })
    const [one, two] = evaluateDevices(readAll([rows[0]!, twoFlags]), [makeDevice('d-one', 'PASS-1'), makeDevice('d-two', 'TWO-8')], [makeRule()], { poll: 1 }, NOW)
    expect(one?.detail).toBe('the one compliance flag passes')
    expect(two?.detail).toBe('all 2 compliance flags pass')
  })

  test('stamps poll and time', () => {
    for (const result of results) {
      expect(result.poll).toBe(7)
      expect(result.Timestamp).toBe('2026-01-01T00:00:00.000Z')
      expect(result.evaluatedAt).toBe('2026-01-01T00:00:00.000Z')
      expect(result.fresh).toBe(true)
    }
  })

  test('derives each verdict', () => {
    expect(verdict(results, 'd-pass', 'rule-compliant')).toEqual(['compliant', 'all_flags_pass', true])
    expect(verdict(results, 'd-fail', 'rule-compliant')).toEqual(['noncompliant', 'flag_failed', false])
    expect(verdict(results, 'd-dup', 'rule-compliant')).toEqual(['unknown', 'duplicate_serial', false])
    expect(verdict(results, 'd-none', 'rule-compliant')).toEqual(['unknown', 'not_found', false])
    expect(verdict(results, 'd-blank', 'rule-compliant')).toEqual(['unknown', 'no_serial', false])
    expect(verdict(results, 'd-mac', 'rule-mac')).toEqual(['compliant', 'all_flags_pass', true])
    expect(verdict(results, 'd-pass', 'rule-mac')).toEqual(['compliant', 'platform_not_matched', false])
  })

  test('applies duplicate policy', () => {
    const preferred = evaluateDevices(readAll(rows), devices, rules, { duplicateSerials: 'prefer-enrolled' }, NOW)
    expect(verdict(preferred, 'd-dup', 'rule-compliant')).toEqual(['compliant', 'all_flags_pass', true])
    const chosen = preferred.find((result) => result.DeviceID === 'd-dup' && result.PolicyID === 'rule-compliant')
    expect(chosen?.detail).toMatch(/ignored 1 record/)
  })

  test('checks last seen only when asked', () => {
    expect(verdict(results, 'd-old', 'rule-compliant')).toEqual(['compliant', 'all_flags_pass', true])
    const limited = evaluateDevices(readAll(rows), devices, rules, { maxLastSeenAgeMs: 7 * 24 * 3_600_000 }, NOW)
    expect(verdict(limited, 'd-old', 'rule-compliant')).toEqual(['unknown', 'stale_last_seen', false])
    expect(verdict(limited, 'd-pass', 'rule-compliant')).toEqual(['compliant', 'all_flags_pass', true])
  })

  test('matches a full poll', async () => {
    nock.disableNetConnect()
    try {
      nock(AUTH_ORIGIN).post('/connect/token').reply(200, { access_token: 't', expires_in: 3600 }, JSON_TYPE)
      nock(API_ORIGIN)
        .get('/API/mdm/devices/search')
        .query(true)
        .reply(200, searchPage(rows, 0, 500, rows.length), JSON_TYPE)
      const clock = new ManualClock(NOW)
      const tracking = createTrackingFetch()
      const checker = new PostureChecker(makeConfig(devices, rules), { clock, fetch: tracking.fetch })
      const outcome = await drive(clock, tracking.inFlight, checker.poll())
      expect(outcome.complete).toBe(true)
      const direct = evaluateDevices(readAll(rows), devices, rules, { poll: outcome.poll }, outcome.finishedAt)
      expect(JSON.stringify(outcome.results)).toBe(JSON.stringify(direct))
    } finally {
      nock.cleanAll()
      nock.enableNetConnect()
      nock.restore()
    }
  })
})
