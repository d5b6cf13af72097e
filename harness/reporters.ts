/**
 * Reporters: a readable console summary, JSON, JUnit XML and NDJSON posture
 * results. For the same seed every reporter prints the same bytes, except
 * wall times, which sit in dedicated fields (`wallMs`, JUnit `time`).
 */
import { toNdjson } from '../posture-checker'
import { formatDurationMs } from './duration'
import type { RunReport, ScenarioReport } from './report'

const ANSI = { green: '\u001b[32m', red: '\u001b[31m', dim: '\u001b[2m', bold: '\u001b[1m', reset: '\u001b[0m' }

function paint(color: boolean, code: keyof typeof ANSI, text: string): string {
  return color ? `${ANSI[code]}${text}${ANSI.reset}` : text
}

/** Readable summary: one line per scenario, failed expectations with expected and actual. */
export function consoleReporter(report: RunReport, options: { color: boolean }): string {
  const { color } = options
  const lines: string[] = []
  let currentFile: string | undefined
  for (const scenario of report.scenarios) {
    if (scenario.file !== currentFile) {
      currentFile = scenario.file
      lines.push(paint(color, 'bold', scenario.file))
    }
    const mark = scenario.passed ? paint(color, 'green', 'PASS') : paint(color, 'red', 'FAIL')
    const { timings } = scenario
    const detail = `${timings.polls} poll${timings.polls === 1 ? '' : 's'}, ${timings.requests} requests, ${formatDurationMs(timings.virtualMs)} virtual`
    lines.push(`  ${mark} ${scenario.name} ${paint(color, 'dim', `(${detail})`)}`)
    if (scenario.error !== undefined) lines.push(`       ${paint(color, 'red', 'error:')} ${scenario.error}`)
    for (const expectation of scenario.expectations) {
      if (expectation.passed) continue
      lines.push(`       ${paint(color, 'red', 'x')} ${expectation.title} [${expectation.id}]`)
      lines.push(`         expected: ${expectation.expected}`)
      lines.push(`         actual:   ${expectation.actual}`)
    }
  }
  const expectations = report.scenarios.reduce((sum, scenario) => sum + scenario.expectations.length, 0)
  const summary = `${report.total} scenario${report.total === 1 ? '' : 's'}: ${report.passed} passed, ${report.failed} failed; ${expectations} expectations checked`
  lines.push('')
  lines.push(report.failed > 0 ? paint(color, 'red', summary) : paint(color, 'green', summary))
  return `${lines.join('\n')}\n`
}

/** JSON report without the per-request journal and posture results, which the NDJSON output carries. */
export function jsonReporter(report: RunReport): string {
  const scenarios = report.scenarios.map((scenario) => ({
    file: scenario.file,
    name: scenario.name,
    index: scenario.index,
    passed: scenario.passed,
    ...(scenario.error === undefined ? {} : { error: scenario.error }),
    expectations: scenario.expectations,
    polls: scenario.polls.map((poll) => ({
      poll: poll.poll,
      startedAtMs: poll.startedAtMs,
      finishedAtMs: poll.finishedAtMs,
      complete: poll.outcome.complete,
      ...(poll.outcome.error === undefined ? {} : { error: poll.outcome.error }),
      requests: poll.journal.length,
      pages: poll.outcome.pages,
      ws1Records: poll.outcome.ws1Records,
      results: poll.resultCount,
    })),
    timings: scenario.timings,
  }))
  return `${JSON.stringify({ total: report.total, passed: report.passed, failed: report.failed, wallMs: report.wallMs, scenarios }, null, 2)}\n`
}

/** Escapes text for XML attributes and character data, dropping characters XML 1.0 forbids. */
export function escapeXml(text: string): string {
  return text
    .replace(/[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
}

/** JUnit XML: a testsuite per file, a testcase per expectation, failures with expected and actual. */
export function junitReporter(report: RunReport): string {
  const byFile = new Map<string, ScenarioReport[]>()
  for (const scenario of report.scenarios) byFile.set(scenario.file, [...(byFile.get(scenario.file) ?? []), scenario])
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>']
  const totalCases = report.scenarios.reduce((sum, scenario) => sum + caseCount(scenario), 0)
  const totalFailures = report.scenarios.reduce((sum, scenario) => sum + failureCount(scenario), 0)
  lines.push(`<testsuites name="ws1sim" tests="${totalCases}" failures="${totalFailures}" time="${seconds(report.wallMs)}">`)
  for (const [file, scenarios] of byFile) {
    const tests = scenarios.reduce((sum, scenario) => sum + caseCount(scenario), 0)
    const failures = scenarios.reduce((sum, scenario) => sum + failureCount(scenario), 0)
    const time = scenarios.reduce((sum, scenario) => sum + scenario.timings.wallMs, 0)
    lines.push(`  <testsuite name="${escapeXml(file)}" tests="${tests}" failures="${failures}" errors="0" skipped="0" time="${seconds(time)}">`)
    for (const scenario of scenarios) {
      const classname = escapeXml(scenario.name)
      if (scenario.error !== undefined || scenario.expectations.length === 0) {
        const message = scenario.error ?? 'the scenario has no expectations'
        const failed = scenario.error !== undefined
        lines.push(`    <testcase classname="${classname}" name="run" time="${seconds(scenario.timings.wallMs)}">`)
        if (failed) lines.push(`      <failure message="${escapeXml(message)}" type="run">${escapeXml(message)}</failure>`)
        lines.push('    </testcase>')
      }
      for (const expectation of scenario.expectations) {
        const name = escapeXml(`${expectation.title} [${expectation.id}]`)
        if (expectation.passed) {
          lines.push(`    <testcase classname="${classname}" name="${name}" time="0"/>`)
          continue
        }
        const message = `expected ${expectation.expected}, actual ${expectation.actual}`
        lines.push(`    <testcase classname="${classname}" name="${name}" time="0">`)
        lines.push(`      <failure message="${escapeXml(message)}" type="expectation">${escapeXml(message)}</failure>`)
        lines.push('    </testcase>')
      }
    }
    lines.push('  </testsuite>')
  }
  lines.push('</testsuites>')
  return `${lines.join('\n')}\n`
}

function caseCount(scenario: ScenarioReport): number {
  return scenario.expectations.length + (scenario.error !== undefined || scenario.expectations.length === 0 ? 1 : 0)
}

function failureCount(scenario: ScenarioReport): number {
  return scenario.expectations.filter((expectation) => !expectation.passed).length + (scenario.error !== undefined ? 1 : 0)
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3)
}

/**
 * Formats every posture result of every poll as one JSON object a line, in
 * run order. Each line ends with `scenario` (the name) and `scenarioFile`, so
 * results of several scenarios in one file stay distinguishable. Needs a
 * run with keepResults 'all'; throws when a poll's results were not kept.
 */
export function resultsNdjsonReporter(report: RunReport): string {
  const dropped = report.scenarios.find((scenario) => scenario.polls.some((poll) => !poll.resultsKept))
  if (dropped !== undefined) {
    throw new Error(
      `scenario "${dropped.name}" kept the results of only the polls its expectations read; run it with keepResults: 'all' to write every result`,
    )
  }
  return report.scenarios
    .flatMap((scenario) => {
      const source = { scenario: scenario.name, scenarioFile: scenario.file }
      return scenario.polls.map((poll) => toNdjson(poll.outcome.results, source))
    })
    .filter((text) => text.length > 0)
    .map((text) => (text.endsWith('\n') ? text : `${text}\n`))
    .join('')
}

export const reporters = {
  console: consoleReporter,
  json: jsonReporter,
  junit: junitReporter,
  resultsNdjson: resultsNdjsonReporter,
}
