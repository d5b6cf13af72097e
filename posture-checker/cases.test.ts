/**
 * Matching and evaluation, one row per real-world case and per rule of the
 * checker. Every row runs a real poll against one nock-served search page.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'

import nock from 'nock'
import ts from 'typescript'

import { PostureChecker, isPlaceholderSerial, normaliseSerial, parseWs1Date } from './index'
import { formatAge } from './evaluate'
import { ManualClock, createTrackingFetch, drive } from './test-clock'
import { API_ORIGIN, AUTH_ORIGIN, makeConfig, makeDevice, makeRule, searchPage, ws1Device } from './test-support'
import type { CheckerOptions, CloudflareDevice, PollOutcome, PostureRule } from './types'
import { useOfflineNock } from '../test/offline-nock'

const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' }
const SEARCH = '/API/mdm/devices/search'
const NEVER = '0001-01-01T00:00:00.000'

interface PollSetup {
  records: Array<Record<string, unknown>>
  devices: CloudflareDevice[]
  options?: CheckerOptions
  now?: number
  rules?: PostureRule[]
}

/** Serves `records` as one search page and runs one poll. */
async function pollOnce(setup: PollSetup): Promise<PollOutcome> {
  nock(AUTH_ORIGIN).post('/connect/token').reply(200, { access_token: 't', expires_in: 3600 }, JSON_TYPE)
  const search = nock(API_ORIGIN).get(SEARCH).query(true)
  if (setup.records.length === 0) search.reply(204)
  else search.reply(200, searchPage(setup.records, 0, 500, setup.records.length), JSON_TYPE)
  const clock = new ManualClock(setup.now)
  const tracking = createTrackingFetch()
  const config = makeConfig(setup.devices, setup.rules)
  const checker = new PostureChecker(config, { clock, fetch: tracking.fetch, ...setup.options })
  return drive(clock, tracking.inFlight, checker.poll())
}

type Expected = [status: string, reason: string]

function verdicts(outcome: PollOutcome): Record<string, Expected> {
  return Object.fromEntries(outcome.results.map((result) => [result.DeviceID, [result.status, result.reason]]))
}

useOfflineNock()

interface Row {
  name: string
  setup: PollSetup
  expected: Record<string, Expected>
}

const rows: Row[] = [
  {
    name: 'BUG-01 empty search answered with 204',
    setup: { records: [], devices: [makeDevice('a1b2c3d4-0001', 'C02FAKE0001', 'mac')] },
    expected: { 'a1b2c3d4-0001': ['unknown', 'not_found'] },
  },
  {
    name: 'BUG-09 zone-less LastSeen is UTC, stale after 6h',
    setup: {
      now: Date.parse('2021-03-09T21:14:00Z'),
      options: { maxLastSeenAgeMs: 6 * 3_600_000 },
      records: [
        ws1Device(1, 'FAKEDATE1', {
          Platform: 'Android',
          LastSeen: '2021-03-09T14:21:45.512',
          LastComplianceCheckOn: NEVER,
          ComplianceSummary: undefined,
        }),
      ],
      devices: [makeDevice('d-date1', 'FAKEDATE1', 'android')],
    },
    expected: { 'd-date1': ['unknown', 'stale_last_seen'] },
  },
  {
    name: 'BUG-09 without the age limit the match alone decides',
    setup: {
      now: Date.parse('2021-03-09T21:14:00Z'),
      records: [
        ws1Device(1, 'FAKEDATE1', { Platform: 'Android', LastSeen: '2021-03-09T14:21:45.512', ComplianceSummary: undefined }),
      ],
      devices: [makeDevice('d-date1', 'FAKEDATE1', 'android')],
    },
    expected: { 'd-date1': ['compliant', 'never_evaluated'] },
  },
  {
    name: 'BUG-10 duplicate serials are ambiguous by default',
    setup: {
      records: [
        ws1Device(1001, 'R58FAKE0001', { Platform: 'Android', EnrollmentStatus: 'Unenrolled', ComplianceStatus: 'NonCompliant' }),
        ws1Device(2002, 'R58FAKE0001', { Platform: 'Android' }),
        ws1Device(3003, 'DUPBOTH01'),
        ws1Device(3004, 'DUPBOTH01', { ComplianceStatus: 'NonCompliant' }),
      ],
      devices: [makeDevice('d-dup1', 'R58FAKE0001', 'android'), makeDevice('d-dup2', 'DUPBOTH01')],
    },
    expected: { 'd-dup1': ['unknown', 'duplicate_serial'], 'd-dup2': ['unknown', 'duplicate_serial'] },
  },
  {
    name: 'BUG-10 prefer-enrolled picks the single enrolled record',
    setup: {
      options: { duplicateSerials: 'prefer-enrolled' },
      records: [
        ws1Device(1001, 'R58FAKE0001', { Platform: 'Android', EnrollmentStatus: 'Unenrolled', ComplianceStatus: 'NonCompliant' }),
        ws1Device(2002, 'R58FAKE0001', { Platform: 'Android' }),
        ws1Device(3003, 'DUPBOTH01'),
        ws1Device(3004, 'DUPBOTH01', { ComplianceStatus: 'NonCompliant' }),
      ],
      devices: [makeDevice('d-dup1', 'R58FAKE0001', 'android'), makeDevice('d-dup2', 'DUPBOTH01')],
    },
    expected: { 'd-dup1': ['compliant', 'all_flags_pass'], 'd-dup2': ['unknown', 'duplicate_serial'] },
  },
  {
    name: 'BUG-13 whitespace and letter case in serials',
    setup: {
      records: [
        ws1Device(1, 'C02FAKEWS01 ', { Platform: 'AppleOsX' }),
        ws1Device(2, 'lgh871fake631a', {
          Platform: 'Android',
          ComplianceStatus: 'NonCompliant',
          ComplianceSummary: { DeviceCompliance: [{ PolicyName: 'Passcode', CompliantStatus: false }] },
        }),
      ],
      devices: [makeDevice('d-ws1', ' C02FAKEWS01', 'mac'), makeDevice('d-case', 'LGH871FAKE631A', 'android')],
    },
    expected: { 'd-ws1': ['compliant', 'all_flags_pass'], 'd-case': ['noncompliant', 'flag_failed'] },
  },
  {
    name: 'BUG-13 case-folding collision is ambiguous',
    setup: {
      records: [ws1Device(1, 'abc123'), ws1Device(2, 'ABC123 ')],
      devices: [makeDevice('d1', 'Abc123')],
    },
    expected: { d1: ['unknown', 'duplicate_serial'] },
  },
  {
    name: 'BUG-14 blank serials on either side never match',
    setup: {
      records: [ws1Device(1, '', { Platform: 'Apple', Ownership: 'E' }), ws1Device(2, 'FAKEOK001', { Platform: 'AppleOsX' })],
      devices: [makeDevice('d-android', '', 'android'), makeDevice('d-linux', null, 'linux'), makeDevice('d-ok', 'FAKEOK001', 'mac')],
    },
    expected: {
      'd-android': ['unknown', 'no_serial'],
      'd-linux': ['unknown', 'no_serial'],
      'd-ok': ['compliant', 'all_flags_pass'],
    },
  },
  {
    name: 'BUG-16 never-evaluated device is compliant by default',
    setup: {
      records: [
        ws1Device(1, 'R58FAKENEV', { Platform: 'Android', CompromisedStatus: false, LastComplianceCheckOn: NEVER, ComplianceSummary: undefined }),
        ws1Device(2, 'FAKEEVAL1', { ComplianceSummary: { DeviceCompliance: [{ PolicyName: 'Encryption', CompliantStatus: true }] } }),
      ],
      devices: [makeDevice('d-never', 'R58FAKENEV', 'android'), makeDevice('d-eval', 'FAKEEVAL1')],
    },
    expected: { 'd-never': ['compliant', 'never_evaluated'], 'd-eval': ['compliant', 'all_flags_pass'] },
  },
  {
    name: 'BUG-16 strict mode makes never-evaluated unknown',
    setup: {
      options: { strictUnevaluated: true },
      records: [ws1Device(1, 'R58FAKENEV', { Platform: 'Android', LastComplianceCheckOn: NEVER, ComplianceSummary: undefined })],
      devices: [makeDevice('d-never', 'R58FAKENEV', 'android')],
    },
    expected: { 'd-never': ['unknown', 'never_evaluated'] },
  },
  {
    name: 'BUG-16 empty DeviceCompliance list counts as never evaluated',
    setup: {
      records: [ws1Device(1, 'EMPTYLIST1', { ComplianceSummary: { DeviceCompliance: [] } })],
      devices: [makeDevice('d1', 'EMPTYLIST1')],
    },
    expected: { d1: ['compliant', 'never_evaluated'] },
  },
  {
    name: 'BUG-17 quiet device is stale with the age limit',
    setup: {
      now: Date.parse('2024-05-20T08:00:00Z'),
      options: { maxLastSeenAgeMs: 7 * 86_400_000 },
      records: [
        ws1Device(1, 'FAKEQUIET', { LastSeen: '2024-05-01T08:00:00.000' }),
        ws1Device(2, 'FAKEFRESH', { LastSeen: '2024-05-20T07:30:00.000' }),
      ],
      devices: [makeDevice('d-quiet', 'FAKEQUIET'), makeDevice('d-fresh', 'FAKEFRESH')],
    },
    expected: { 'd-quiet': ['unknown', 'stale_last_seen'], 'd-fresh': ['compliant', 'all_flags_pass'] },
  },
  {
    name: 'BUG-17 without the age limit both are compliant',
    setup: {
      now: Date.parse('2024-05-20T08:00:00Z'),
      records: [
        ws1Device(1, 'FAKEQUIET', { LastSeen: '2024-05-01T08:00:00.000' }),
        ws1Device(2, 'FAKEFRESH', { LastSeen: '2024-05-20T07:30:00.000' }),
      ],
      devices: [makeDevice('d-quiet', 'FAKEQUIET'), makeDevice('d-fresh', 'FAKEFRESH')],
    },
    expected: { 'd-quiet': ['compliant', 'all_flags_pass'], 'd-fresh': ['compliant', 'all_flags_pass'] },
  },
  {
    name: 'BUG-17 never-seen record is stale with the age limit',
    setup: {
      options: { maxLastSeenAgeMs: 86_400_000 },
      records: [ws1Device(1, 'NEVERSEEN1', { LastSeen: NEVER })],
      devices: [makeDevice('d1', 'NEVERSEEN1')],
    },
    expected: { d1: ['unknown', 'stale_last_seen'] },
  },
  {
    name: 'placeholder serials never match on the WARP side',
    setup: {
      records: [ws1Device(1, 'To be filled by O.E.M.'), ws1Device(2, '0000000')],
      devices: [
        makeDevice('d-oem', ' to be filled by o.e.m. '),
        makeDevice('d-zero', '0000000'),
        makeDevice('d-default', 'Default string'),
      ],
    },
    expected: {
      'd-oem': ['unknown', 'placeholder_serial'],
      'd-zero': ['unknown', 'placeholder_serial'],
      'd-default': ['unknown', 'placeholder_serial'],
    },
  },
  {
    name: 'placeholder WS1 records are not candidates',
    setup: {
      records: [ws1Device(1, 'System Serial Number'), ws1Device(2, 'REALSER01'), ws1Device(3, 'N/A')],
      devices: [makeDevice('d1', 'REALSER01')],
    },
    expected: { d1: ['compliant', 'all_flags_pass'] },
  },
  {
    name: 'Unicode forms compare equal after NFC',
    setup: {
      records: [ws1Device(1, 'A\u030aBC001')],
      devices: [makeDevice('d1', '\u00c5bc001')],
    },
    expected: { d1: ['compliant', 'all_flags_pass'] },
  },
  {
    name: 'failing flag wins over pending flag',
    setup: {
      records: [
        ws1Device(1, 'FLAGS01', {
          ComplianceSummary: {
            DeviceCompliance: [
              { PolicyName: 'Encryption', CompliantStatus: true },
              { PolicyName: 'OS version', CompliantStatus: false },
              { PolicyName: 'Passcode', CompliantStatus: false, CompliancePending: true },
            ],
          },
        }),
      ],
      devices: [makeDevice('d1', 'FLAGS01')],
    },
    expected: { d1: ['noncompliant', 'flag_failed'] },
  },
  {
    name: 'pending flag is noncompliant',
    setup: {
      records: [
        ws1Device(1, 'PEND01', {
          ComplianceSummary: {
            DeviceCompliance: [
              { PolicyName: 'Encryption', CompliantStatus: true },
              { PolicyName: 'Passcode', CompliantStatus: true, CompliancePending: true },
            ],
          },
        }),
      ],
      devices: [makeDevice('d1', 'PEND01')],
    },
    expected: { d1: ['noncompliant', 'flag_pending'] },
  },
  {
    name: 'NonCompliant status without flags',
    setup: {
      records: [ws1Device(1, 'NONC01', { ComplianceStatus: 'NonCompliant', ComplianceSummary: undefined })],
      devices: [makeDevice('d1', 'NONC01')],
    },
    expected: { d1: ['noncompliant', 'not_compliant_status'] },
  },
  {
    name: 'NonCompliant status overrides passing flags',
    setup: {
      records: [ws1Device(1, 'CONFLICT1', { ComplianceStatus: 'NonCompliant' })],
      devices: [makeDevice('d1', 'CONFLICT1')],
    },
    expected: { d1: ['noncompliant', 'not_compliant_status'] },
  },
  {
    name: 'single record not enrolled is unknown',
    setup: {
      records: [ws1Device(1, 'UNENR01', { EnrollmentStatus: 'Unenrolled' })],
      devices: [makeDevice('d1', 'UNENR01')],
    },
    expected: { d1: ['unknown', 'not_enrolled'] },
  },
  {
    name: 'record missing optional keys is read',
    setup: {
      records: [{ SerialNumber: 'SPARSE01', ComplianceStatus: 'Compliant', Id: { Value: 9 } }],
      devices: [makeDevice('d1', 'SPARSE01')],
    },
    expected: { d1: ['compliant', 'never_evaluated'] },
  },
]

describe('matching and evaluation', () => {
  test.each(rows)('$name', async ({ setup, expected }) => {
    const outcome = await pollOnce(setup)
    expect(outcome.complete).toBe(true)
    expect(verdicts(outcome)).toEqual(expected)
  })
})

describe('result details', () => {
  test('duplicate result lists candidates', async () => {
    const outcome = await pollOnce(rows.find((row) => row.name.startsWith('BUG-10 duplicate'))!.setup)
    const result = outcome.results.find((entry) => entry.DeviceID === 'd-dup1')!
    expect(result.candidates).toEqual([
      { id: 1001, uuid: '00000000-0000-4000-8000-000000001001', enrollmentStatus: 'Unenrolled' },
      { id: 2002, uuid: '00000000-0000-4000-8000-000000002002', enrollmentStatus: 'Enrolled' },
    ])
    expect(result.PostureEvaluatedResult).toBe(false)
    expect(result.matchedWs1Id).toBeNull()
  })

  test('prefer-enrolled names the matched record', async () => {
    const outcome = await pollOnce(rows.find((row) => row.name.startsWith('BUG-10 prefer'))!.setup)
    const result = outcome.results.find((entry) => entry.DeviceID === 'd-dup1')!
    expect(result.matchedWs1Id).toBe(2002)
    expect(result.detail).toContain('not Enrolled')
  })

  test('failing flag detail names the flag', async () => {
    const outcome = await pollOnce(rows.find((row) => row.name === 'failing flag wins over pending flag')!.setup)
    expect(outcome.results[0]!.detail).toContain('OS version')
    expect(outcome.results[0]!.detail).not.toContain('Encryption')
  })

  test('never-evaluated result carries evaluated false', async () => {
    const outcome = await pollOnce(rows.find((row) => row.name.startsWith('BUG-16 never'))!.setup)
    const never = outcome.results.find((entry) => entry.DeviceID === 'd-never')!
    const evaluated = outcome.results.find((entry) => entry.DeviceID === 'd-eval')!
    expect(never.evaluated).toBe(false)
    expect(never.PostureEvaluatedResult).toBe(true)
    expect(evaluated.evaluated).toBe(true)
  })

  test('platform mismatch is only a detail', async () => {
    const outcome = await pollOnce({ records: [ws1Device(1, 'PLAT01', { Platform: 'AppleOsX' })], devices: [makeDevice('d1', 'PLAT01', 'windows')] })
    expect(outcome.results[0]!.status).toBe('compliant')
    expect(outcome.results[0]!.detail).toContain('AppleOsX does not correspond to WARP platform windows')
  })

  test('stale detail gives the age', async () => {
    const outcome = await pollOnce(rows.find((row) => row.name.startsWith('BUG-17 quiet'))!.setup)
    expect(outcome.results[0]!.detail).toContain('19d 0h 0m')
  })

  test('stale detail shows seconds past the limit', async () => {
    const outcome = await pollOnce({
      now: Date.parse('2024-05-20T08:00:00Z'),
      options: { maxLastSeenAgeMs: 3 * 3_600_000 },
      records: [ws1Device(1, 'FAKEEDGE1', { LastSeen: '2024-05-20T04:59:59.000' })],
      devices: [makeDevice('d-edge', 'FAKEEDGE1')],
    })
    expect(outcome.results[0]!.reason).toBe('stale_last_seen')
    expect(outcome.results[0]!.detail).toBe(
      'last seen 2024-05-20T04:59:59.000Z, 3h 0m 1s ago, longer than the allowed 3h 0m',
    )
  })
})

describe('formatAge', () => {
  test.each([
    [0, '0h 0m'],
    [3 * 3_600_000, '3h 0m'],
    [3 * 3_600_000 + 1_000, '3h 0m 1s'],
    [59_999, '0h 0m 59.999s'],
    [250, '0h 0m 0.25s'],
    [19 * 86_400_000 + 61_500, '19d 0h 1m 1.5s'],
  ])('%d ms is %s', (ms, text) => {
    expect(formatAge(ms)).toBe(text)
  })
})

describe('rules', () => {
  const windowsOnly = makeRule({ id: 'r-win', name: 'Windows compliant', match: [{ platform: 'windows' }] })
  const expectNoncompliant = makeRule({ id: 'r-nc', name: 'noncompliant', input: { compliance_status: 'noncompliant', connection_id: 'ws1' } })
  const expectUnknown = makeRule({ id: 'r-unk', name: 'unknown', input: { compliance_status: 'unknown', connection_id: 'ws1' } })

  test('platform-scoped rule does not pass other platforms', async () => {
    const outcome = await pollOnce({
      records: [ws1Device(1, 'WIN01'), ws1Device(2, 'MAC01', { Platform: 'AppleOsX' })],
      devices: [makeDevice('d-win', 'WIN01', 'windows'), makeDevice('d-mac', 'MAC01', 'mac')],
      rules: [windowsOnly],
    })
    const [win, mac] = outcome.results
    expect(win).toMatchObject({ DeviceID: 'd-win', PostureEvaluatedResult: true, reason: 'all_flags_pass' })
    expect(mac).toMatchObject({ DeviceID: 'd-mac', PostureEvaluatedResult: false, reason: 'platform_not_matched', status: 'compliant' })
  })

  test('one result per device per rule', async () => {
    const outcome = await pollOnce({
      records: [ws1Device(1, 'A1'), ws1Device(2, 'B2', { ComplianceStatus: 'NonCompliant', ComplianceSummary: undefined })],
      devices: [makeDevice('d-a', 'A1'), makeDevice('d-b', 'B2'), makeDevice('d-c', 'C3')],
      rules: [makeRule(), expectNoncompliant, expectUnknown],
    })
    expect(outcome.results).toHaveLength(9)
    const passes = outcome.results.map((result) => `${result.DeviceID}/${result.PolicyID}=${String(result.PostureEvaluatedResult)}`)
    expect(passes).toEqual([
      'd-a/rule-compliant=true',
      'd-a/r-nc=false',
      'd-a/r-unk=false',
      'd-b/rule-compliant=false',
      'd-b/r-nc=true',
      'd-b/r-unk=false',
      'd-c/rule-compliant=false',
      'd-c/r-nc=false',
      'd-c/r-unk=true',
    ])
  })

  test('received and expected JSON', async () => {
    const outcome = await pollOnce({ records: [ws1Device(1, 'A1')], devices: [makeDevice('d-a', 'A1')], rules: [expectNoncompliant] })
    expect(outcome.results[0]!.PostureExpectedJSON).toBe('{"compliance_status":"noncompliant"}')
    expect(outcome.results[0]!.PostureReceivedJSON).toBe('{"compliance_status":"compliant"}')
  })
})

describe('serial normalisation', () => {
  test.each([
    'TO BE FILLED BY O.E.M.',
    'To be filled by O.E.M.',
    'Default string',
    'System Serial Number',
    'Serial Number',
    'Chassis Serial Number',
    'Not Specified',
    'None',
    'n/a',
    '123456789',
    '0',
    '000000000000',
    '',
  ])('%j is a placeholder', (serial) => {
    expect(isPlaceholderSerial(normaliseSerial(` ${serial} `))).toBe(true)
  })

  test.each(['C02FAKE0001', '0000A', '1234567890', 'NONE1'])('%j is a real serial', (serial) => {
    expect(isPlaceholderSerial(normaliseSerial(serial))).toBe(false)
  })
})

describe('Workspace ONE dates', () => {
  // Jest gives each test file a copy of process.env, so setting TZ here would
  // not reach the date functions. A child process with TZ set runs the parser
  // from records.ts, which has no imports, transpiled on the fly.
  const parserSource = ts.transpileModule(readFileSync(path.join(__dirname, 'records.ts'), 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  }).outputText
  const samples = ['2021-03-09T14:21:45.512', '2021-06-28T04:35:20', '10/27/2023 3:05:53 PM', NEVER]

  function parseUnderZone(zone: string): { parsed: Array<number | null>; localParse: number } {
    const script = [
      '(function (module, exports) {',
      parserSource,
      `const parsed = ${JSON.stringify(samples)}.map((value) => exports.parseWs1Date(value));`,
      "const localParse = new Date('2021-03-09T14:21:45.512').getTime();",
      'process.stdout.write(JSON.stringify({ parsed, localParse }));',
      '})({ exports: {} }, {})',
    ].join('\n')
    const output = execFileSync(process.execPath, ['-e', script], { env: { ...process.env, TZ: zone }, encoding: 'utf8' })
    return JSON.parse(output) as { parsed: Array<number | null>; localParse: number }
  }

  test.each(['UTC', 'America/Los_Angeles', 'Asia/Tokyo'])('zone-less value is UTC under TZ=%s', (zone) => {
    const { parsed, localParse } = parseUnderZone(zone)
    expect(parsed).toEqual([
      Date.parse('2021-03-09T14:21:45.512Z'),
      Date.parse('2021-06-28T04:35:20Z'),
      Date.parse('2023-10-27T15:05:53Z'),
      null,
    ])
    // The child really ran in that zone: a plain Date parse reads local time.
    expect(localParse === Date.parse('2021-03-09T14:21:45.512Z')).toBe(zone === 'UTC')
  })

  test('stale verdict uses the UTC reading', async () => {
    const outcome = await pollOnce(rows.find((row) => row.name.startsWith('BUG-09 zone-less'))!.setup)
    expect(verdicts(outcome)).toEqual({ 'd-date1': ['unknown', 'stale_last_seen'] })
    expect(outcome.results[0]!.detail).toContain('2021-03-09T14:21:45.512Z')
  })

  test.each([NEVER, '0001-01-01T00:00:00', '', '   ', null, undefined, 'yesterday'])('%j reads as absent', (value) => {
    expect(parseWs1Date(value)).toBeNull()
  })

  test('explicit offsets are honoured', () => {
    expect(parseWs1Date('2022-06-03T03:01:26.8528889+01:00')).toBe(Date.parse('2022-06-03T02:01:26.852Z'))
    expect(parseWs1Date('2021-06-28T01:59:29.077Z')).toBe(Date.parse('2021-06-28T01:59:29.077Z'))
  })
})
