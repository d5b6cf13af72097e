/**
 * Validation of broken scenario files kept in test/fixtures/invalid: each
 * problem is reported once, with file, line, column and key path.
 */
import path from 'node:path'
import { runCli } from '../cli/program'
import { createTestIo } from '../cli/test-io'
import { formatScenarioError, loadScenarioFiles, validateScenarioText, type ScenarioError } from '../harness'

const INVALID_DIR = path.join(__dirname, 'fixtures', 'invalid')
const VALID_FILE = path.join(__dirname, '..', 'scenarios', 'flag-flip-latency.yaml')

async function errorsOf(name: string): Promise<ScenarioError[]> {
  const { scenarios, errors } = await loadScenarioFiles([path.join(INVALID_DIR, name)])
  expect(scenarios).toEqual([])
  return errors
}

function located(errors: ScenarioError[]): Array<[number, number, string]> {
  return errors.map((error) => [error.line, error.column, error.path])
}

describe('validation of invalid scenario files', () => {
  test('bad YAML names the syntax error', async () => {
    const errors = await errorsOf('bad-yaml.yaml')

    expect(errors).toHaveLength(1)
    expect(errors[0]?.path).toBe('(yaml)')
    expect(errors[0]?.found).toContain('Flow map')
    expect(errors[0]?.line).toBeGreaterThanOrEqual(4)
  })

  test('unknown keys point at the key with a hint', async () => {
    const errors = await errorsOf('unknown-key.yaml')

    expect(located(errors)).toEqual([
      [3, 3, 'tenant.token_lifetim'],
      [5, 18, 'cloudflare.mirror_fleet.exept'],
    ])
    expect(errors[0]?.hint).toBe('did you mean "token_lifetime"?')
    expect(errors[1]?.hint).toBe('did you mean "except"?')
    expect(errors[0]?.expected).toContain('token_lifetime')
  })

  test('wrong types name the found value and the type', async () => {
    const errors = await errorsOf('wrong-type.yaml')

    expect(located(errors)).toEqual([
      [2, 7, 'seed'],
      [6, 30, 'fleet.devices[0].policies.Encryption'],
      [8, 17, 'cloudflare.mirror_fleet'],
    ])
    expect(errors[0]?.found).toBe('"twelve"')
    expect(errors[0]?.expected).toBe('a value of type integer')
    expect(errors[2]?.expected).toBe('a value of type boolean, or a value of type object')
  })

  test('missing required keys are reported at their parent', async () => {
    const errors = await errorsOf('missing-field.yaml')

    expect(located(errors)).toEqual([
      [1, 1, '(root)'],
      [4, 7, 'cloudflare.rules[0]'],
    ])
    expect(errors[0]?.expected).toBe('the required key "name"')
    expect(errors[1]?.found).toBe('no key "input"')
  })

  test('bad durations are rejected with the format', async () => {
    const errors = await errorsOf('bad-duration.yaml')

    expect(located(errors)).toEqual([
      [2, 11, 'duration'],
      [4, 27, 'cloudflare.integration.interval'],
      [6, 9, 'timeline[0].at'],
    ])
    expect(errors[0]?.found).toBe('"90 minutes"')
    expect(errors[0]?.expected).toBe('a duration such as 30s, 90m, 2h30m or 1d')
  })

  test('bad enum values suggest the nearest value', async () => {
    const errors = await errorsOf('bad-enum.yaml')

    expect(located(errors)).toEqual([
      [4, 33, 'fleet.devices[0].platform'],
      [4, 63, 'fleet.devices[0].policies.Firewall'],
      [10, 29, 'expect.devices[0].status'],
    ])
    expect(errors.map((error) => error.hint)).toEqual([
      'did you mean "WindowsPc"?',
      'did you mean "fail"?',
      'did you mean "compliant"?',
    ])
  })

  test('semantic checks catch broken references', async () => {
    const errors = await errorsOf('semantic-references.yaml')

    expect(located(errors)).toEqual([
      [9, 71, 'cloudflare.rules[0].input.connection_id'],
      [14, 26, 'timeline[0].set_policy.serial'],
      [15, 9, 'timeline[1].at'],
      [16, 19, 'timeline[1].remove_fault'],
      [17, 5, 'timeline[2]'],
      [17, 9, 'timeline[2].at'],
      [21, 35, 'timeline[3].cloudflare_devices.remove[0]'],
      [21, 65, 'timeline[3].cloudflare_devices.update[0].device_id'],
      [24, 16, 'expect.devices[0].device'],
      [25, 33, 'expect.devices[1].after_poll'],
      [28, 16, 'expect.journal.requests[0].path'],
      [29, 9, 'expect.journal.requests[1]'],
      [32, 10, 'faults[1].id'],
      [32, 17, 'faults[1].effect'],
    ])
    const byPath = new Map(errors.map((error) => [error.path, error]))
    expect(byPath.get('cloudflare.rules[0].input.connection_id')?.expected).toContain('"ws1-prod" or "Production"')
    expect(byPath.get('timeline[2]')?.found).toBe('several actions (unenroll, clear_faults)')
    expect(byPath.get('timeline[3].cloudflare_devices.remove[0]')?.found).toBe('"d-gone"')
    expect(byPath.get('expect.devices[1].after_poll')?.expected).toContain('1 to 7')
    expect(byPath.get('expect.journal.requests[0].path')?.expected).toContain('put query parameters under query')
    expect(byPath.get('expect.journal.requests[1]')?.found).toBe('no count, min or max')
    expect(byPath.get('faults[1].id')?.expected).toBe('a fault id not used by an earlier fault')
    expect(byPath.get('faults[1].effect')?.expected).toBe('"ms" for an effect of type delay')
  })

  test('duplicate scenario names in one file', async () => {
    const errors = await errorsOf('duplicate-names.yaml')

    expect(located(errors)).toEqual([[3, 9, '[1].name']])
  })

  test('empty file has no scenarios', async () => {
    const errors = await errorsOf('empty.yaml')

    expect(located(errors)).toEqual([[1, 1, '(root)']])
    expect(errors[0]?.expected).toBe('at least one scenario')
  })

  test('missing path is an error, not a crash', async () => {
    const { scenarios, errors } = await loadScenarioFiles([path.join(INVALID_DIR, 'no-such-file.yaml')])

    expect(scenarios).toEqual([])
    expect(errors).toHaveLength(1)
    expect(errors[0]?.path).toBe('(file)')
  })

  test('formatted error reads file:line:col key: found, expected', async () => {
    const [first] = await errorsOf('unknown-key.yaml')

    expect(first).toBeDefined()
    expect(formatScenarioError(first as ScenarioError)).toBe(
      `${path.join(INVALID_DIR, 'unknown-key.yaml')}:3:3 tenant.token_lifetim: found unknown key "token_lifetim", ` +
        'expected one of the keys name, tenant_code, clients, token_lifetime, rate_limit, require_tenant_code, ' +
        'duplicate_serial_lookup, serial_lookup_match, unenrolled_compliance (did you mean "token_lifetime"?)',
    )
  })

  test('a directory loads every file and reports all errors', async () => {
    const { scenarios, errors } = await loadScenarioFiles([INVALID_DIR])

    expect(scenarios).toEqual([])
    const files = new Set(errors.map((error) => path.basename(error.file)))
    expect(files.size).toBe(14)
  })

  test('repeated ids and start-up values are caught', async () => {
    const errors = await errorsOf('run-conflicts.yaml')

    expect(located(errors)).toEqual([
      [6, 25, 'fleet.devices[1].id'],
      [6, 34, 'fleet.devices[1].uuid'],
      [7, 25, 'fleet.devices[2].id'],
      [9, 19, 'tenant.token_lifetime'],
      [12, 20, 'tenant.clients[1].client_id'],
      [14, 39, 'cloudflare.integration.interval'],
    ])
    expect(errors[0]?.expected).toContain('not used by fleet.devices[0]')
    expect(errors[1]?.found).toBe('"U1"')
    expect(errors[2]?.expected).toContain('1001..1010')
    expect(errors[5]?.expected).toBe('an interval of at least 1s')
  })

  test('fleet size, retry_after and delay ranges', async () => {
    const errors = await errorsOf('run-limits.yaml')

    expect(located(errors)).toEqual([
      [3, 22, 'fleet.generate.count'],
      [5, 46, 'faults[0].effect.retry_after'],
      [6, 46, 'faults[1].effect.retry_after'],
      [7, 32, 'faults[2].effect.ms'],
    ])
    expect(errors[0]?.expected).toBe('a number <= 1000000')
    expect(errors[1]?.expected).toBe('a number >= 0')
    expect(errors[2]?.expected).toBe('a number <= 86400')
    expect(errors[3]?.expected).toBe('a number <= 600000')
  })

  test('alias bomb is a per-file error', async () => {
    const { scenarios, errors } = await loadScenarioFiles([path.join(INVALID_DIR, 'alias-bomb.yaml'), VALID_FILE])

    expect([...new Set(scenarios.map((scenario) => scenario.file))]).toEqual([VALID_FILE])
    expect(errors).toHaveLength(1)
    expect(errors[0]?.file).toBe(path.join(INVALID_DIR, 'alias-bomb.yaml'))
    expect(errors[0]?.path).toBe('(yaml)')
    expect(errors[0]?.found).toContain('too many alias expansions')
  })

  test('huge number is not shown as null', () => {
    const { errors } = validateScenarioText('name: huge seed\nseed: 1e400\n', 'huge-seed.yaml')

    expect(errors).toHaveLength(1)
    expect(errors[0]?.path).toBe('seed')
    expect(errors[0]?.found).toBe('a number too large for a double, read as Infinity')
  })

  test('after_poll past a single poll', () => {
    const text = 'name: one poll\nfleet:\n  devices:\n    - { serial: A1 }\ncloudflare:\n  mirror_fleet: true\n' +
      'expect:\n  devices:\n    - { device: A1, after_poll: 2, status: compliant }\n'
    const { errors } = validateScenarioText(text, 'one-poll.yaml')

    expect(errors).toHaveLength(1)
    expect(errors[0]?.expected).toBe('poll number 1 (the duration and interval give 1 poll)')
  })

  test('duration too long to count', () => {
    const { errors } = validateScenarioText('name: endless\nduration: 99999999999999999999d\n', 'endless.yaml')

    expect(errors).toHaveLength(1)
    expect(errors[0]?.path).toBe('duration')
    expect(errors[0]?.expected).toContain('short enough to count in milliseconds')
  })

  test('imported record the emulator rejects', async () => {
    const errors = await errorsOf('bad-import.yaml')

    expect(located(errors)).toEqual([[3, 32, 'fleet.import[1]']])
    expect(errors[0]?.found).toBe(
      '"bad-import-last-seen.json" (Invalid Devices[1].LastSeen "5/20/2024 6:00:00 AM": expected a date such as 2021-06-28T04:35:20.150)',
    )
    expect(errors[0]?.expected).toBe('a devices/search JSON export whose records the emulator can import')
  })

  test('validate command rejects a bad import', async () => {
    const io = createTestIo({ cwd: INVALID_DIR })

    const exitCode = await runCli(['validate', 'bad-import.yaml'], io)

    expect(exitCode).toBe(2)
    const lines = io.stderrText().trimEnd().split('\n')
    expect(lines[0]).toMatch(/^bad-import\.yaml:3:32 fleet\.import\[1\]: found "bad-import-last-seen\.json" \(Invalid Devices\[1\]\.LastSeen /)
    expect(lines.at(-1)).toBe('Found 1 error in 1 file.')
  })

  test('poll count above the limit', async () => {
    const errors = await errorsOf('too-many-polls.yaml')

    expect(errors).toHaveLength(1)
    expect(errors[0]?.path).toBe('duration')
    expect(errors[0]?.found).toContain('604801 polls')
    expect(errors[0]?.expected).toContain('at most 10000 polls')
  })
})
