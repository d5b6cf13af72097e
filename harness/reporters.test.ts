import { consoleReporter, escapeXml, jsonReporter, junitReporter, resultsNdjsonReporter } from './reporters'
import type { RunReport, ScenarioReport } from './report'
import { fakePoll, fakeResult } from './test-fixtures'

function scenario(name: string, file: string, passed: boolean, extra: Partial<ScenarioReport> = {}): ScenarioReport {
  return {
    file,
    name,
    index: 0,
    passed,
    expectations: [
      { id: 'expect.devices[0]', title: 'd-1 after the last poll', passed: true, expected: 'status=compliant', actual: 'status=compliant' },
      {
        id: 'expect.counts[0]',
        title: 'counts <for> "rule" & more',
        passed,
        expected: 'unknown=0',
        actual: passed ? 'unknown=0' : 'unknown=1 \u0001<bad>',
      },
    ],
    polls: [fakePoll(1, 0, [fakeResult({ DeviceID: 'd-1' }), fakeResult({ DeviceID: 'd-2' })])],
    timings: { wallMs: 12, virtualMs: 0, requests: 2, polls: 1 },
    ...extra,
  }
}

const report: RunReport = {
  scenarios: [
    scenario('passes', 'scenarios/a.yaml', true),
    scenario('fails', 'scenarios/a.yaml', false),
    scenario('crashes', 'scenarios/b.yaml', false, { error: 'run failed: <boom> & more', expectations: [] }),
  ],
  total: 3,
  passed: 1,
  failed: 2,
  wallMs: 40,
}

/** Minimal XML well-formedness check: balanced tags, quoted attributes, escaped text. */
function assertWellFormedXml(xml: string): void {
  const body = xml.replace(/^<\?xml[^>]*\?>\s*/, '')
  const stack: string[] = []
  const tokenPattern = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[\w:.-]+="[^"<&]*(?:&(?:amp|lt|gt|quot|apos);[^"<&]*)*")*)\s*(\/?)>|([^<]+)/gy
  let match: RegExpExecArray | null
  let consumed = 0
  while ((match = tokenPattern.exec(body)) !== null) {
    consumed = tokenPattern.lastIndex
    const [, closing, name, , selfClosing, text] = match
    if (text !== undefined) {
      expect(text).not.toMatch(/&(?!(amp|lt|gt|quot|apos);)/)
      continue
    }
    if (closing) expect(stack.pop()).toBe(name)
    else if (!selfClosing) stack.push(name as string)
  }
  expect(consumed).toBe(body.length)
  expect(stack).toEqual([])
}

describe('reporters', () => {
  test('JUnit XML is well-formed with one suite per file', () => {
    const xml = junitReporter(report)

    assertWellFormedXml(xml)
    expect(xml.match(/<testsuite /g)).toHaveLength(2)
    expect(xml).toContain('<testsuites name="ws1sim" tests="5" failures="2"')
    expect(xml).toContain('<failure message="expected unknown=0, actual unknown=1 &lt;bad&gt;" type="expectation">')
    expect(xml).toContain('type="run">run failed: &lt;boom&gt; &amp; more</failure>')
    expect(xml).not.toContain('\u0001')
  })

  test('escapeXml escapes markup and drops control characters', () => {
    expect(escapeXml(`a<b>&"c'\u0000`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;')
  })

  test('console output has no colour unless asked', () => {
    const plain = consoleReporter(report, { color: false })
    const coloured = consoleReporter(report, { color: true })

    expect(plain).not.toContain('\u001b[')
    expect(coloured).toContain('\u001b[31mFAIL')
    expect(plain).toContain('  FAIL fails (1 poll, 2 requests, 0s virtual)')
    expect(plain).toContain('expected: unknown=0')
    expect(plain).toContain('error: run failed: <boom> & more')
    expect(plain).toContain('3 scenarios: 1 passed, 2 failed; 4 expectations checked')
  })

  test('JSON keeps wall times in their own fields', () => {
    const parsed = JSON.parse(jsonReporter(report)) as { wallMs: number; scenarios: Array<{ timings: { wallMs: number }; polls: unknown[] }> }

    expect(parsed.wallMs).toBe(40)
    expect(parsed.scenarios[0]?.timings.wallMs).toBe(12)
    expect(parsed.scenarios[0]?.polls).toHaveLength(1)
  })

  test('NDJSON has one result a line', () => {
    const lines = resultsNdjsonReporter(report).trimEnd().split('\n')

    expect(lines).toHaveLength(6)
    expect(JSON.parse(lines[0] as string)).toMatchObject({ DeviceID: 'd-1', PostureCheckType: 'workspace_one' })
  })

  test('NDJSON lines name their scenario', () => {
    const lines = resultsNdjsonReporter(report).trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>)

    const sources = lines.map((line) => [line['scenario'], line['scenarioFile'], line['DeviceID']])
    expect(sources).toEqual([
      ['passes', 'scenarios/a.yaml', 'd-1'],
      ['passes', 'scenarios/a.yaml', 'd-2'],
      ['fails', 'scenarios/a.yaml', 'd-1'],
      ['fails', 'scenarios/a.yaml', 'd-2'],
      ['crashes', 'scenarios/b.yaml', 'd-1'],
      ['crashes', 'scenarios/b.yaml', 'd-2'],
    ])
    // The source fields follow the result's own keys, so Cloudflare's log fields stay first.
    expect(Object.keys(lines[0] ?? {}).slice(-3)).toEqual(['poll', 'scenario', 'scenarioFile'])
  })
})
