/**
 * Runs every bundled scenario through the public harness API: one describe
 * per file, one test per scenario. A failing scenario's test prints each
 * failed expectation with expected and actual values.
 *
 * Jest's --shard splits test files, and this is one file, so two variables
 * narrow the run instead: SCENARIO_FILES=basic-flags,rate-limits selects
 * files by base name, and SCENARIO_SHARD=2/4 runs one shard of the files
 * with the same split as `ws1sim run --shard`.
 */
import fs from 'node:fs'
import path from 'node:path'
import {
  runScenario,
  selectShard,
  validateScenarioText,
  type LoadedScenario,
  type ScenarioReport,
  type ScenarioSpec,
} from '../harness'

const SCENARIOS_DIR = path.join(__dirname, '..', 'scenarios')

function loadBundled(): Map<string, LoadedScenario[]> {
  const byFile = new Map<string, LoadedScenario[]>()
  const files = fs.readdirSync(SCENARIOS_DIR).filter((name) => /\.ya?ml$/.test(name)).sort()
  for (const name of files) {
    const file = path.join(SCENARIOS_DIR, name)
    const { scenarios, errors } = validateScenarioText(fs.readFileSync(file, 'utf8'), file)
    if (errors.length > 0) throw new Error(`${name} is invalid: ${JSON.stringify(errors)}`)
    byFile.set(name, scenarios.map(({ spec, index }) => ({ file, name: spec.name, index, spec })))
  }
  return byFile
}

/** Applies SCENARIO_FILES and SCENARIO_SHARD to the bundled files. */
function selectFiles(all: Map<string, LoadedScenario[]>): Map<string, LoadedScenario[]> {
  let names = [...all.keys()]
  const fileFilter = process.env['SCENARIO_FILES']
  if (fileFilter !== undefined && fileFilter.trim() !== '') {
    const wanted = new Set(fileFilter.split(',').map((name) => name.trim().replace(/\.ya?ml$/, '')))
    names = names.filter((name) => wanted.has(name.replace(/\.ya?ml$/, '')))
  }
  const shard = process.env['SCENARIO_SHARD']
  if (shard !== undefined && shard.trim() !== '') {
    const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(shard)
    if (!match) throw new Error(`SCENARIO_SHARD="${shard}" is invalid: use I/N with 1 <= I <= N, for example 2/4`)
    names = selectShard(names.map((file) => ({ file })), Number(match[1]), Number(match[2])).map((item) => item.file)
  }
  return new Map(names.map((name) => [name, all.get(name) ?? []]))
}

function failuresOf(report: ScenarioReport): string[] {
  const failures = report.expectations
    .filter((result) => !result.passed)
    .map((result) => `${result.id} ${result.title}: expected ${result.expected}; actual ${result.actual}`)
  return report.error === undefined ? failures : [`run error: ${report.error}`, ...failures]
}

const bundled = loadBundled()

test('bundled library has at least 20 scenarios', () => {
  const count = [...bundled.values()].reduce((sum, list) => sum + list.length, 0)
  expect(count).toBeGreaterThanOrEqual(20)
})

for (const [file, scenarios] of selectFiles(bundled)) {
  describe(file, () => {
    for (const scenario of scenarios) {
      test(scenario.name, async () => {
        const report = await runScenario(scenario)

        expect(failuresOf(report)).toEqual([])
        expect(report.expectations.length).toBeGreaterThan(0)
        expect(report.passed).toBe(true)
      })
    }
  })
}

/** Returns a deep copy of the bundled scenario `name`, so a test can change its expectations. */
function bundledScenario(name: string): LoadedScenario {
  for (const list of bundled.values()) {
    const found = list.find((scenario) => scenario.name === name)
    if (found) return { ...found, spec: structuredClone(found.spec) }
  }
  throw new Error(`no bundled scenario named ${name}`)
}

function withExpect(name: string, change: (spec: ScenarioSpec) => void): LoadedScenario {
  const scenario = bundledScenario(name)
  change(scenario.spec)
  return scenario
}

// Each bundled expectation kind must be able to fail: these runs change one
// expected value to a wrong one and check that exactly that expectation fails.
describe('wrong expectations fail', () => {
  const cases: Array<[string, LoadedScenario, string]> = [
    ['device status', withExpect('one flag fails', (spec) => { spec.expect!.devices![0]!.status = 'compliant' }), 'expect.devices[0]'],
    ['device reason', withExpect('blank serials never match', (spec) => { spec.expect!.devices![0]!.reason = 'not_found' }), 'expect.devices[0]'],
    ['count', withExpect('serial not in Workspace ONE', (spec) => { spec.expect!.counts![0]!.unknown = 0 }), 'expect.counts[0]'],
    ['poll outcome', withExpect('missing Devices envelope is never zero devices', (spec) => { spec.expect!.polls![1]!.complete = true }), 'expect.polls[1]'],
    ['request count', withExpect('empty device search answers 204', (spec) => { spec.expect!.journal!.requests![0]!.count = 2 }), 'expect.journal.requests[0]'],
    ['max requests per poll', withExpect('empty device search answers 204', (spec) => { spec.expect!.journal!.max_requests_per_poll = 1 }), 'expect.journal.max_requests_per_poll'],
    ['latency', withExpect('flag flip seen by Access and Gateway', (spec) => { spec.expect!.latency![0]!.gateway_at = '20m' }), 'expect.latency[0]'],
    ['freshness', withExpect('500 then recovery', (spec) => { spec.expect!.devices![0]!.fresh = true }), 'expect.devices[0]'],
    ['contract expected violated', withExpect('429 with Retry-After on page 3', (spec) => { spec.expect!.contracts!.honoured_retry_after = false }), 'expect.contracts.honoured_retry_after'],
  ]

  test.each(cases)('%s', async (_label, scenario, failingId) => {
    const report = await runScenario(scenario)

    const failed = report.expectations.filter((result) => !result.passed).map((result) => result.id)
    expect(report.passed).toBe(false)
    expect(failed).toEqual([failingId])
  })
})
