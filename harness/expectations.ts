/**
 * Evaluates a scenario's `expect` section against the polls of a run. Each
 * expectation yields one ExpectationResult with expected and actual text.
 */
import type { PostureResult, PostureRule } from '../posture-checker/types'
import { formatDurationMs, parseDurationMs } from './duration'
import { GATEWAY_CACHE_REFRESH_MS } from './defaults'
import { honouredRetryAfter, pagedToEnd, refreshedTokenBeforeExpiry, withinRateLimit, type ContractVerdict } from './contracts'
import type { ExpectationResult, PollRecord } from './report'
import type {
  ContractsSpec,
  CountExpectation,
  DeviceExpectation,
  ExpectSection,
  LatencyExpectation,
  PollExpectation,
  RequestExpectation,
  WhenSpec,
} from './spec'

export interface EvaluationContext {
  polls: PollRecord[]
  rules: PostureRule[]
  /** Epoch ms of virtual time zero. */
  startMs: number
  intervalMs: number
  /** Ids of the run's `expire-token` faults, whose token rejections the client could not foresee. */
  expireTokenFaultIds?: ReadonlySet<string>
}

export function evaluateExpectations(expect: ExpectSection | undefined, context: EvaluationContext): ExpectationResult[] {
  if (expect === undefined) return []
  const results: ExpectationResult[] = []
  if (expect.polls_run !== undefined) {
    const actual = context.polls.length
    results.push({ id: 'expect.polls_run', title: 'number of polls run', passed: actual === expect.polls_run, expected: String(expect.polls_run), actual: String(actual) })
  }
  expect.devices?.forEach((expectation, index) => results.push(checkDevice(expectation, `expect.devices[${index}]`, context)))
  expect.counts?.forEach((expectation, index) => results.push(checkCounts(expectation, `expect.counts[${index}]`, context)))
  expect.polls?.forEach((expectation, index) => results.push(...checkPolls(expectation, `expect.polls[${index}]`, context)))
  if (expect.journal?.max_requests_per_poll !== undefined) {
    results.push(checkMaxRequests(expect.journal.max_requests_per_poll, context))
  }
  expect.journal?.requests?.forEach((expectation, index) => results.push(checkRequests(expectation, `expect.journal.requests[${index}]`, context)))
  if (expect.contracts !== undefined) results.push(...checkContracts(expect.contracts, context))
  expect.latency?.forEach((expectation, index) => results.push(checkLatency(expectation, `expect.latency[${index}]`, context)))
  return results
}

/** Selects the poll whose results an expectation reads, with words naming it. */
function selectPoll(when: WhenSpec, context: EvaluationContext): { poll: PollRecord | undefined; label: string } {
  if (when.after_poll !== undefined) return { poll: context.polls[when.after_poll - 1], label: `after poll ${when.after_poll}` }
  if (when.at !== undefined) {
    const atMs = parseDurationMs(when.at) ?? 0
    const finished = context.polls.filter((poll) => poll.finishedAtMs <= atMs)
    return { poll: finished.at(-1), label: `at ${when.at}` }
  }
  return { poll: context.polls.at(-1), label: 'after the last poll' }
}

function ruleMatches(result: PostureResult, rule: string | undefined): boolean {
  return rule === undefined || result.PolicyID === rule || result.PostureCheckName === rule
}

function deviceMatches(result: PostureResult, device: string): boolean {
  return result.DeviceID === device || result.DeviceSerialNumber === device || result.DeviceSerialNumber.trim() === device.trim()
}

function resolveRule(rule: string | undefined, rules: PostureRule[]): PostureRule | undefined {
  if (rule === undefined) return rules[0]
  return rules.find((candidate) => candidate.id === rule || candidate.name === rule)
}

const DEVICE_FIELDS = ['status', 'result', 'reason', 'fresh', 'evaluated', 'matched_ws1_id'] as const

function fieldOf(result: PostureResult, field: (typeof DEVICE_FIELDS)[number]): unknown {
  switch (field) {
    case 'status':
      return result.status
    case 'result':
      return result.PostureEvaluatedResult ? 'pass' : 'fail'
    case 'reason':
      return result.reason
    case 'fresh':
      return result.fresh
    case 'evaluated':
      return result.evaluated ?? true
    case 'matched_ws1_id':
      return result.matchedWs1Id
  }
}

function checkDevice(expectation: DeviceExpectation, id: string, context: EvaluationContext): ExpectationResult {
  const { poll, label } = selectPoll(expectation, context)
  const fields = DEVICE_FIELDS.filter((field) => expectation[field] !== undefined)
  const expected = fields.map((field) => `${field}=${String(expectation[field])}`).join(', ') || 'a result'
  const title = `${expectation.device}${expectation.rule ? ` (${expectation.rule})` : ''} ${label}`
  if (poll === undefined) return { id, title, passed: false, expected, actual: 'no poll had finished' }
  const results = poll.outcome.results.filter((result) => deviceMatches(result, expectation.device) && ruleMatches(result, expectation.rule))
  if (results.length === 0) return { id, title, passed: false, expected, actual: `no result for this device in poll ${poll.poll}` }

  let passed = true
  const actual = results.map((result) => {
    const parts = fields.map((field) => {
      const value = fieldOf(result, field)
      if (value !== expectation[field]) passed = false
      return `${field}=${String(value)}`
    })
    const prefix = results.length > 1 ? `${result.PostureCheckName}: ` : ''
    const detail = passed ? '' : ` (${result.detail})`
    return `${prefix}${parts.join(', ')}${detail}`
  })
  return { id, title, passed, expected, actual: actual.join('; ') }
}

const COUNT_KEYS = ['total', 'compliant', 'noncompliant', 'unknown', 'pass', 'fail', 'fresh', 'stale'] as const

function checkCounts(expectation: CountExpectation, id: string, context: EvaluationContext): ExpectationResult {
  const { poll, label } = selectPoll(expectation, context)
  const rule = resolveRule(expectation.rule, context.rules)
  const keys = COUNT_KEYS.filter((key) => expectation[key] !== undefined)
  const expected = keys.map((key) => `${key}=${String(expectation[key])}`).join(', ')
  const title = `counts${rule ? ` for ${rule.name}` : ''} ${label}`
  if (poll === undefined) return { id, title, passed: false, expected, actual: 'no poll had finished' }
  const results = poll.outcome.results.filter((result) => rule === undefined || result.PolicyID === rule.id || result.PostureCheckName === rule.name)
  const counts: Record<(typeof COUNT_KEYS)[number], number> = {
    total: results.length,
    compliant: results.filter((result) => result.status === 'compliant').length,
    noncompliant: results.filter((result) => result.status === 'noncompliant').length,
    unknown: results.filter((result) => result.status === 'unknown').length,
    pass: results.filter((result) => result.PostureEvaluatedResult).length,
    fail: results.filter((result) => !result.PostureEvaluatedResult).length,
    fresh: results.filter((result) => result.fresh).length,
    stale: results.filter((result) => !result.fresh).length,
  }
  const passed = keys.every((key) => counts[key] === expectation[key])
  return { id, title, passed, expected, actual: keys.map((key) => `${key}=${counts[key]}`).join(', ') }
}

function describeError(poll: PollRecord): string {
  const error = poll.outcome.error
  return error === undefined ? 'none' : `${error.kind}${error.code ? `/${error.code}` : ''}`
}

function checkPolls(expectation: PollExpectation, id: string, context: EvaluationContext): ExpectationResult[] {
  const selection = expectation.poll ?? 'all'
  let selected: PollRecord[]
  if (selection === 'all') selected = context.polls
  else if (selection === 'last') selected = context.polls.slice(-1)
  else selected = context.polls.slice(selection - 1, selection)
  const expectedParts: string[] = []
  if (expectation.complete !== undefined) expectedParts.push(`complete=${expectation.complete}`)
  if (expectation.error !== undefined) {
    expectedParts.push(`error=${expectation.error === 'none' ? 'none' : `${expectation.error.kind ?? '*'}${expectation.error.code ? `/${expectation.error.code}` : ''}`}`)
  }
  if (expectation.pages !== undefined) expectedParts.push(`pages=${expectation.pages}`)
  if (expectation.ws1_records !== undefined) expectedParts.push(`ws1_records=${expectation.ws1_records}`)
  const expected = expectedParts.join(', ')
  const title = selection === 'all' ? 'every poll' : selection === 'last' ? 'last poll' : `poll ${selection}`
  if (selected.length === 0) return [{ id, title, passed: false, expected, actual: 'no such poll ran' }]

  const failures: string[] = []
  for (const poll of selected) {
    const outcome = poll.outcome
    const actualParts: string[] = []
    let ok = true
    if (expectation.complete !== undefined) {
      actualParts.push(`complete=${outcome.complete}`)
      ok &&= outcome.complete === expectation.complete
    }
    if (expectation.error !== undefined) {
      actualParts.push(`error=${describeError(poll)}`)
      if (expectation.error === 'none') ok &&= outcome.error === undefined
      else {
        ok &&= outcome.error !== undefined
        if (expectation.error.kind !== undefined) ok &&= outcome.error?.kind === expectation.error.kind
        if (expectation.error.code !== undefined) ok &&= outcome.error?.code === expectation.error.code
      }
    }
    if (expectation.pages !== undefined) {
      actualParts.push(`pages=${outcome.pages}`)
      ok &&= outcome.pages === expectation.pages
    }
    if (expectation.ws1_records !== undefined) {
      actualParts.push(`ws1_records=${outcome.ws1Records}`)
      ok &&= outcome.ws1Records === expectation.ws1_records
    }
    if (!ok) failures.push(`poll ${poll.poll}: ${actualParts.join(', ')}${outcome.error ? ` (${outcome.error.message})` : ''}`)
  }
  const actual = failures.length === 0 ? `${selected.length} poll${selected.length === 1 ? '' : 's'} as expected` : failures.slice(0, 3).join('; ')
  return [{ id, title, passed: failures.length === 0, expected, actual }]
}

function checkMaxRequests(max: number, context: EvaluationContext): ExpectationResult {
  let worst: PollRecord | undefined
  for (const poll of context.polls) if (worst === undefined || poll.journal.length > worst.journal.length) worst = poll
  const actual = worst === undefined ? 'no poll ran' : `${worst.journal.length} requests in poll ${worst.poll}`
  return {
    id: 'expect.journal.max_requests_per_poll',
    title: 'requests per poll',
    passed: worst !== undefined && worst.journal.length <= max,
    expected: `at most ${max}`,
    actual,
  }
}

function checkRequests(expectation: RequestExpectation, id: string, context: EvaluationContext): ExpectationResult {
  const polls = expectation.poll === undefined ? context.polls : context.polls.slice(expectation.poll - 1, expectation.poll)
  const matching = polls.flatMap((poll) => poll.journal).filter((entry) => {
    if (expectation.method !== undefined && entry.method.toUpperCase() !== expectation.method.toUpperCase()) return false
    if (expectation.path !== undefined && !entry.path.toLowerCase().includes(expectation.path.toLowerCase())) return false
    if (expectation.status !== undefined && entry.status !== expectation.status) return false
    if (expectation.token_rejected !== undefined && entry.tokenRejected !== expectation.token_rejected) return false
    for (const [key, value] of Object.entries(expectation.query ?? {})) {
      const found = Object.entries(entry.query).find(([name]) => name.toLowerCase() === key.toLowerCase())
      if (found === undefined || found[1] !== value) return false
    }
    return true
  })
  const count = matching.length
  const bounds: string[] = []
  let passed = true
  if (expectation.count !== undefined) {
    bounds.push(`exactly ${expectation.count}`)
    passed &&= count === expectation.count
  }
  if (expectation.min !== undefined) {
    bounds.push(`at least ${expectation.min}`)
    passed &&= count >= expectation.min
  }
  if (expectation.max !== undefined) {
    bounds.push(`at most ${expectation.max}`)
    passed &&= count <= expectation.max
  }
  const filter = [
    expectation.method,
    expectation.path,
    expectation.query ? Object.entries(expectation.query).map(([key, value]) => `${key}=${value}`).join('&') : undefined,
    expectation.status === undefined ? undefined : `status ${expectation.status}`,
    expectation.token_rejected === undefined ? undefined : `token_rejected=${expectation.token_rejected}`,
  ].filter((part) => part !== undefined).join(' ')
  const title = `requests matching ${filter || 'anything'}${expectation.poll === undefined ? '' : ` in poll ${expectation.poll}`}`
  return { id, title, passed, expected: bounds.join(' and '), actual: String(count) }
}

function checkContracts(contracts: ContractsSpec, context: EvaluationContext): ExpectationResult[] {
  const checks: Array<[keyof ContractsSpec, string, () => ContractVerdict]> = [
    ['honoured_retry_after', 'client honoured Retry-After', () => honouredRetryAfter(context.polls, context.startMs)],
    ['paged_to_end', 'client paged to the end', () => pagedToEnd(context.polls)],
    ['refreshed_token_before_expiry', 'client refreshed the token before expiry', () => refreshedTokenBeforeExpiry(context.polls, context.startMs, context.expireTokenFaultIds)],
    ['within_rate_limit', 'client stayed within the rate limit', () => withinRateLimit(context.polls, context.startMs)],
  ]
  const results: ExpectationResult[] = []
  for (const [key, title, check] of checks) {
    const expectedToHold = contracts[key]
    if (expectedToHold === undefined) continue
    const outcome = check()
    results.push({
      id: `expect.contracts.${key}`,
      title,
      passed: outcome.held === expectedToHold,
      expected: expectedToHold ? 'holds' : 'violated',
      actual: `${outcome.held ? 'holds' : 'violated'}: ${outcome.detail}`,
    })
  }
  return results
}

/** First Gateway cache refresh strictly after `ms`; refreshes run every 5 minutes from virtual time zero. */
export function gatewayRefreshAfter(ms: number): number {
  return (Math.floor(ms / GATEWAY_CACHE_REFRESH_MS) + 1) * GATEWAY_CACHE_REFRESH_MS
}

/** First poll tick at or after `ms`; a change at a tick is applied before that tick's poll. */
export function nextPollTick(ms: number, intervalMs: number): number {
  return Math.ceil(ms / intervalMs) * intervalMs
}

/** True when `poll` reported the expectation's device, under its rule, with the expectation's new status. */
function reportsStatus(expectation: LatencyExpectation, poll: PollRecord): boolean {
  return poll.outcome.results.some((result) => deviceMatches(result, expectation.device) && ruleMatches(result, expectation.rule) && result.status === expectation.to)
}

/** True when `poll` started at or after the expectation's change and reported the device with its new status. */
export function reportsLatencyChange(expectation: LatencyExpectation, poll: PollRecord): boolean {
  const changeMs = parseDurationMs(expectation.change_at) ?? 0
  return poll.startedAtMs >= changeMs && reportsStatus(expectation, poll)
}

/**
 * Selects the last poll that started before `changeMs`. A latency check reads
 * it to make sure the device did not have its new status already, since a
 * change that was there before `change_at` has no latency to measure.
 */
export function pollBeforeChange(polls: PollRecord[], changeMs: number): PollRecord | undefined {
  let last: PollRecord | undefined
  for (const poll of polls) {
    if (poll.startedAtMs >= changeMs) break
    last = poll
  }
  return last
}

function checkLatency(expectation: LatencyExpectation, id: string, context: EvaluationContext): ExpectationResult {
  const changeMs = parseDurationMs(expectation.change_at) ?? 0
  const computedAccess = nextPollTick(changeMs, context.intervalMs)
  const computedGateway = gatewayRefreshAfter(computedAccess)
  const expectedAccess = expectation.access_at === undefined ? computedAccess : parseDurationMs(expectation.access_at) ?? 0
  const expectedGateway = expectation.gateway_at === undefined ? computedGateway : parseDurationMs(expectation.gateway_at) ?? 0
  const title = `${expectation.device} becomes ${expectation.to} after the change at ${expectation.change_at}`
  const expected = `Access at ${formatDurationMs(expectedAccess)}, Gateway at ${formatDurationMs(expectedGateway)} (computed from the ${formatDurationMs(context.intervalMs)} interval: Access ${formatDurationMs(computedAccess)}, Gateway ${formatDurationMs(computedGateway)})`

  const before = pollBeforeChange(context.polls, changeMs)
  if (before !== undefined && reportsStatus(expectation, before)) {
    return {
      id,
      title,
      passed: false,
      expected,
      actual: `already ${expectation.to} in poll ${before.poll}, before the change at ${expectation.change_at}`,
    }
  }
  const seen = context.polls.find((poll) => reportsLatencyChange(expectation, poll))
  if (seen === undefined) return { id, title, passed: false, expected, actual: `no poll after ${expectation.change_at} reported ${expectation.to}` }
  const accessMs = seen.finishedAtMs
  const gatewayMs = gatewayRefreshAfter(accessMs)
  const passed =
    accessMs === expectedAccess && gatewayMs === expectedGateway && expectedAccess === computedAccess && expectedGateway === computedGateway
  return {
    id,
    title,
    passed,
    expected,
    actual: `Access at ${formatDurationMs(accessMs)} (poll ${seen.poll}), Gateway at ${formatDurationMs(gatewayMs)}`,
  }
}
