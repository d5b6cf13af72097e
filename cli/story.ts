import { gatewayRefreshAfter, type RunEvent, type ScenarioReport } from '../harness'
import type { PostureResult } from '../posture-checker/types'
import { formatDuration, formatOffset, plural, type Palette } from './format'
import {
  diffResults,
  formatChange,
  formatVerdictTable,
  indexResults,
  type VerdictChange,
} from './verdicts'

// The first poll lists up to this many requests, so the reader sees the token
// and the paging. Later polls list only token requests and non-2xx responses.
const MAX_REQUEST_LINES = 8

type RequestEvent = Extract<RunEvent, { type: 'request' }>
type PollEndEvent = Extract<RunEvent, { type: 'poll-end' }>

/** A verdict change the story saw, with the poll that published it. */
export interface StoryChange {
  poll: number
  atMs: number
  change: VerdictChange
}

/** A timeline step the story saw. */
export interface StoryStep {
  atMs: number
  action: string
  detail: string
}

/** Story lines plus the changes and steps the summary needs. */
export interface StoryState {
  lines: string[]
  changes: StoryChange[]
  steps: StoryStep[]
}

function describeRequest(event: RequestEvent, palette: Palette): string {
  const status = event.status < 400 ? palette.green(String(event.status)) : palette.red(String(event.status))
  if (/connect\/token|oauth\/token/i.test(event.path)) {
    return `POST ${event.path} -> ${status}  ${event.status === 200 ? 'access token issued' : 'token request rejected'}`
  }
  const query = Object.entries(event.query)
    .map(([key, value]) => `${key}=${value}`)
    .join('&')
  const target = query === '' ? event.path : `${event.path}?${query}`
  let note = ''
  if (event.status === 204) note = '  (no content)'
  if (event.status === 429) note = '  (rate limited)'
  return `${event.method} ${target} -> ${status}${note}`
}

function describePollEnd(event: PollEndEvent, palette: Palette): string {
  const traffic = [
    plural(event.requests, 'request'),
    plural(event.pages, 'page'),
    plural(event.ws1Records, 'Workspace ONE record'),
  ].join(', ')
  const { compliant, noncompliant, unknown } = event.counts
  const counts = [
    palette.green(`${compliant} compliant`),
    noncompliant > 0 ? palette.red(`${noncompliant} noncompliant`) : '0 noncompliant',
    unknown > 0 ? palette.yellow(`${unknown} unknown`) : '0 unknown',
  ].join(', ')
  if (event.complete && event.error === undefined) {
    return `${palette.bold(`poll ${event.poll}`)} complete: ${traffic}; ${counts}`
  }
  let error = ''
  if (event.error !== undefined) {
    const { kind, code, message } = event.error
    error = `: ${kind} error ${code ?? ''} ${message}`.replace(/\s+/g, ' ')
  }
  const incomplete = palette.yellow(`poll ${event.poll} incomplete`)
  return `${incomplete}${error} (${traffic}); earlier results kept, marked stale`
}

/**
 * Turns the events of one scenario run into story lines: each poll with its
 * notable requests, the first verdict table, each timeline step, and each
 * verdict change with when Access and Gateway see it.
 */
export function tellStory(events: readonly RunEvent[], palette: Palette): StoryState {
  const state: StoryState = { lines: [], changes: [], steps: [] }
  const at = (ms: number): string => palette.dim(formatOffset(ms))
  const indent = ' '.repeat(formatOffset(0).length)
  let previous = new Map<string, PostureResult>()
  let pollRequests: RequestEvent[] = []
  let pollCount = 0

  for (const event of events) {
    switch (event.type) {
      case 'step':
        state.steps.push({ atMs: event.atMs, action: event.action, detail: event.detail })
        state.lines.push(`${at(event.atMs)}  ${palette.cyan(`step: ${event.detail || event.action}`)}`)
        break
      case 'poll-start':
        pollRequests = []
        break
      case 'request':
        pollRequests.push(event)
        break
      case 'poll-end': {
        pollCount += 1
        const notable = pollRequests.filter(
          (request) => request.status >= 300 || /connect\/token|oauth\/token/i.test(request.path),
        )
        const shown = pollCount === 1 ? pollRequests.slice(0, MAX_REQUEST_LINES) : notable
        // A quiet poll gets one line; one with notable requests lists them first.
        if (shown.length > 0) {
          const first = pollRequests[0]
          state.lines.push(`${at(first?.atMs ?? event.atMs)}  ${palette.bold(`poll ${event.poll}`)}`)
          for (const request of shown) state.lines.push(`${indent}    ${describeRequest(request, palette)}`)
          const hidden = pollRequests.length - shown.length
          if (pollCount === 1 && hidden > 0) state.lines.push(`${indent}    ... ${hidden} more requests`)
        }
        state.lines.push(`${at(event.atMs)}  ${describePollEnd(event, palette)}`)
        break
      }
      case 'verdicts': {
        if (event.poll === 1 || previous.size === 0) {
          const table = formatVerdictTable(event.results, palette).trimEnd().split('\n')
          state.lines.push('', ...table.map((line) => `${indent}  ${line}`), '')
        } else {
          for (const change of diffResults(previous, event.results)) {
            state.changes.push({ poll: event.poll, atMs: event.atMs, change })
            state.lines.push(`${indent}  ${palette.bold('changed:')} ${formatChange(change, palette)}`)
            state.lines.push(
              `${indent}    Access sees it now (${formatOffset(event.atMs)}), ` +
                `Gateway at its next cache refresh (${formatOffset(gatewayRefreshAfter(event.atMs))})`,
            )
          }
        }
        previous = event.results.length > 0 ? indexResults(event.results) : previous
        break
      }
      default:
        break
    }
  }
  return state
}

/** Formats the closing summary: what changed and when, the expectations, and the time it took. */
export function summarize(report: ScenarioReport, state: StoryState, palette: Palette): string[] {
  const lines = ['', palette.bold('Summary')]
  if (state.changes.length === 0) {
    lines.push('  No verdict changed after the first poll.')
  } else {
    lines.push('  What changed and when:')
    for (const { change, atMs, poll } of state.changes) {
      const cause = [...state.steps].reverse().find((step) => step.atMs <= atMs)
      const after =
        cause === undefined
          ? ''
          : `, ${formatDuration(atMs - cause.atMs)} after the step at ${formatOffset(cause.atMs)}`
      lines.push(`    ${formatChange(change, palette)}`)
      lines.push(
        `      seen by poll ${poll} at ${formatOffset(atMs)}${after}; ` +
          `Access at ${formatOffset(atMs)}, Gateway at ${formatOffset(gatewayRefreshAfter(atMs))}`,
      )
    }
  }

  const held = report.expectations.filter((expectation) => expectation.passed).length
  const total = report.expectations.length
  const verdict = report.passed ? palette.green('all held') : palette.red('some failed')
  lines.push(`  Expectations: ${held} of ${total} held (${verdict}).`)
  for (const expectation of report.expectations.filter((result) => !result.passed)) {
    const { title, expected, actual } = expectation
    lines.push(`    ${palette.red('failed')} ${title}: expected ${expected}, got ${actual}`)
  }
  if (report.error !== undefined) lines.push(`  ${palette.red('Run error:')} ${report.error}`)

  const timings = report.timings
  lines.push(
    `  ${formatDuration(timings.virtualMs)} of virtual time in ${formatDuration(timings.wallMs)} of wall time: ` +
      `${timings.polls} polls, ${timings.requests} requests.`,
  )
  return lines
}
