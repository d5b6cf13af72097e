/**
 * Runs scenarios: starts the emulator on 127.0.0.1 with the virtual clock,
 * applies the fleet, builds the checker, drives polls and timeline steps on
 * one clock, then evaluates the expectations. Everything started is closed
 * in a finally block, also when the run fails.
 */
import pino, { type Logger } from 'pino'
import { stringify } from 'yaml'
import { startMockServer } from '../mock-workspace-one'
import type { JournalEntry, MockServerOptions, RunningMockServer } from '../mock-workspace-one/types'
import { PostureChecker } from '../posture-checker'
import type { CheckerOptions, PollOutcome } from '../posture-checker/types'
import { buildCheckerConfig, buildCloudflareDevices, buildScenarioCheckerOptions, buildTenantSpec, toFaultRule } from './build'
import { DEFAULT_INTERVAL, DEFAULT_START, readSearchExport, resolveImportPath } from './defaults'
import { formatDurationMs, parseDurationMs } from './duration'
import { evaluateExpectations } from './expectations'
import type { LoadedScenario } from './loader'
import type { PollRecord, RunEvent, RunReport, ScenarioReport } from './report'
import { ResultsKeeper, type ResultRetention } from './retention'
import { selectShard } from './shard'
import type { FaultSpec, ScenarioSpec } from './spec'
import { actionOf, applyTimelineStep, type StepTarget } from './steps'
import { formatScenarioError, validateScenarioText } from './validate'
import { VirtualClock } from './virtual-clock'

export interface RunOptions {
  /** Logger handed to the emulator and the checker; silent by default. */
  logger?: Logger
  onEvent?: (event: RunEvent) => void
  /** Virtual time the last poll may run past the duration before the run fails. Default 1 day. */
  overrunLimitMs?: number
  /**
   * Stops the run early when aborted: the current poll finishes, no further
   * poll starts, the scenario's report gets an error, and runScenarios starts
   * no further scenario.
   */
  signal?: AbortSignal
  /**
   * Retention of posture results in the report. 'needed' (the default)
   * keeps the last poll and those an expectation reads, so a long run over a
   * large fleet stays within memory. 'all' keeps every poll's results, which
   * resultsNdjsonReporter needs. The `verdicts` events carry every poll's
   * results either way.
   */
  keepResults?: ResultRetention
}

/** Journal capacity for a run; the runner reads each poll's entries right after the poll. */
const RUN_JOURNAL_SIZE = 200_000
const DEFAULT_OVERRUN_LIMIT_MS = 86_400_000

/** Mutable state of one run, shared by the poll loop and the timeline steps. */
interface RunContext extends StepTarget {
  file: string | undefined
  clock: VirtualClock
  polls: PollRecord[]
  errors: string[]
  lastSeq: number
  emit: (event: RunEvent) => void
  /** Drops the results of polls no expectation reads; absent when every poll keeps them. */
  keeper: ResultsKeeper | undefined
}

/**
 * Runs one scenario; a spec given directly is validated first. Problems of
 * the scenario or the run go into the report's `error` instead of being thrown.
 */
export async function runScenario(scenario: LoadedScenario | ScenarioSpec, options: RunOptions = {}): Promise<ScenarioReport> {
  const loaded = 'spec' in scenario ? scenario : { file: '<inline>', name: scenario.name, index: 0, spec: scenario }
  const wallStart = performance.now()
  const report: ScenarioReport = {
    file: loaded.file,
    name: loaded.name,
    index: loaded.index,
    passed: false,
    expectations: [],
    polls: [],
    timings: { wallMs: 0, virtualMs: 0, requests: 0, polls: 0 },
  }
  if (loaded.spec.description !== undefined) report.description = loaded.spec.description
  if (!('spec' in scenario)) {
    const { errors } = validateScenarioText(stringify(scenario), loaded.file)
    if (errors.length > 0) {
      report.error = `invalid scenario: ${errors.map(formatScenarioError).join('; ')}`
      report.timings.wallMs = performance.now() - wallStart
      return report
    }
  }

  const emit = (event: RunEvent): void => options.onEvent?.(event)
  emit({ type: 'scenario-start', name: loaded.name, file: loaded.file })
  const spec = loaded.spec
  const startMs = Date.parse(spec.start ?? DEFAULT_START)
  const durationMs = parseDurationMs(spec.duration ?? '0s') ?? 0
  const intervalMs = parseDurationMs(spec.cloudflare?.integration?.interval ?? DEFAULT_INTERVAL) ?? 300_000
  const clock = new VirtualClock({ start: startMs })
  const logger = options.logger ?? pino({ level: 'silent' })
  let server: RunningMockServer | undefined
  let context: RunContext | undefined
  const file = loaded.file === '<inline>' ? undefined : loaded.file
  // Token rejections these faults cause are not the client's doing; the token contract needs their ids.
  const expireTokenFaultIds = new Set<string>()
  const onFaultAdded = (id: string, fault: FaultSpec): void => {
    if (fault.effect.type === 'expire-token') expireTokenFaultIds.add(id)
  }

  try {
    server = await startScenarioServer(spec, file, { clock: clock.serverView(), logger, journalSize: RUN_JOURNAL_SIZE }, onFaultAdded)
    const devices = buildCloudflareDevices(spec, server.tenant)
    const config = buildCheckerConfig(spec, server, devices)
    const checkerOptions: CheckerOptions = {
      ...buildScenarioCheckerOptions(spec),
      clock,
      fetch: clock.trackFetch((input, init) => globalThis.fetch(input, init)),
      logger,
    }
    context = {
      spec,
      file,
      server,
      clock,
      startMs,
      config,
      checker: new PostureChecker(config, checkerOptions),
      devices,
      polls: [],
      errors: [],
      lastSeq: Math.max(-1, ...server.emulator.journal().map((entry) => entry.seq)),
      emit,
      keeper: options.keepResults === 'all' ? undefined : new ResultsKeeper(spec.expect),
      onFaultAdded,
    }
    await drive(context, durationMs, intervalMs, options.overrunLimitMs ?? DEFAULT_OVERRUN_LIMIT_MS, options.signal)
  } catch (error) {
    report.error = `run failed: ${(error as Error).message}`
  } finally {
    await server?.close()
  }

  if (options.signal?.aborted === true && report.error === undefined) {
    const polls = context?.polls.length ?? 0
    report.error = `stopped early (${abortMessage(options.signal)}) after ${polls} of ${Math.floor(durationMs / intervalMs) + 1} polls`
  }
  if (context !== undefined) {
    report.polls = context.polls
    if (context.errors.length > 0 && report.error === undefined) report.error = context.errors.join('; ')
    report.expectations = evaluateExpectations(spec.expect, {
      polls: context.polls,
      rules: context.config.rules,
      expireTokenFaultIds,
      startMs,
      intervalMs,
    })
    for (const result of report.expectations) emit({ type: 'expectation', result })
  }
  report.passed = report.error === undefined && report.expectations.every((result) => result.passed)
  report.timings = {
    wallMs: Math.round(performance.now() - wallStart),
    virtualMs: clock.now() - startMs,
    requests: report.polls.reduce((sum, poll) => sum + poll.journal.length, 0),
    polls: report.polls.length,
  }
  emit({ type: 'scenario-end', passed: report.passed, timings: report.timings })
  return report
}

function abortMessage(signal: AbortSignal): string {
  const reason: unknown = signal.reason
  return reason instanceof Error ? reason.message : String(reason)
}

/** Schedules steps and polls on the clock and runs it to the end of the scenario. */
async function drive(
  context: RunContext,
  durationMs: number,
  intervalMs: number,
  overrunLimitMs: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  const { clock, startMs } = context
  // Steps are registered before any poll, so a step at a poll's time applies first.
  context.spec.timeline?.forEach((step, index) => {
    clock.at(startMs + (parseDurationMs(step.at) ?? 0), () => {
      try {
        const detail = applyTimelineStep(step, context)
        context.emit({ type: 'step', atMs: clock.now() - startMs, index, action: actionOf(step), detail })
      } catch (error) {
        context.errors.push(`timeline[${index}] at ${step.at}: ${actionOf(step)} failed: ${(error as Error).message}`)
      }
    })
  })

  let activePoll: Promise<void> | undefined
  const schedulePoll = (tick: number): void => {
    if (tick * intervalMs > durationMs || signal?.aborted === true) return
    clock.at(startMs + tick * intervalMs, () => {
      if (signal?.aborted === true) return
      activePoll = runPoll(context).then(
        () => {
          const elapsed = clock.now() - startMs
          schedulePoll(Math.max(tick + 1, Math.ceil(elapsed / intervalMs)))
        },
        (error: unknown) => {
          // Polling stops here: the run is reported as failed with this message.
          context.errors.push(`poll ${context.polls.length + 1} could not be recorded: ${(error as Error).message}`)
        },
      )
    })
  }
  schedulePoll(0)

  // An abort stops the clock where the run stopped: the end of the last poll, or the last step before the abort.
  await clock.runUntil(startMs + durationMs, signal)
  if (activePoll !== undefined) {
    const settled = await clock.runUntilSettled(activePoll, startMs + durationMs + overrunLimitMs)
    if (!settled) {
      context.errors.push(`poll ${context.polls.length + 1} did not finish within ${formatDurationMs(overrunLimitMs)} of virtual time after the scenario's duration`)
    }
  }
}

async function runPoll(context: RunContext): Promise<void> {
  const { clock, startMs, server } = context
  const number = context.polls.length + 1
  const startedAt = clock.now()
  const ws1DevicesAtStart = server.tenant.deviceCount()
  context.emit({ type: 'poll-start', atMs: startedAt - startMs, poll: number })
  let outcome: PollOutcome
  try {
    outcome = await context.checker.poll()
  } catch (error) {
    context.errors.push(`poll ${number} threw: ${(error as Error).message}`)
    outcome = { poll: number, startedAt, finishedAt: clock.now(), complete: false, requests: 0, pages: 0, ws1Records: 0, results: [] }
  }
  const journal = server.emulator.journal({ since: startedAt }).filter((entry) => entry.seq > context.lastSeq)
  for (const entry of journal) context.lastSeq = Math.max(context.lastSeq, entry.seq)
  const counts = { compliant: 0, noncompliant: 0, unknown: 0 }
  for (const result of outcome.results) counts[result.status]++
  const record: PollRecord = {
    poll: number,
    startedAtMs: startedAt - startMs,
    finishedAtMs: outcome.finishedAt - startMs,
    outcome,
    journal,
    ws1DevicesAtStart,
    ws1DevicesAtEnd: server.tenant.deviceCount(),
    resultCount: outcome.results.length,
    counts,
    resultsKept: true,
  }
  context.polls.push(record)
  emitPollEvents(context, record)
  context.keeper?.add(record)
}

function emitPollEvents(context: RunContext, record: PollRecord): void {
  const { emit, startMs } = context
  for (const entry of record.journal) emitRequest(emit, entry, record.poll, startMs)
  const results = record.outcome.results
  const end: Extract<RunEvent, { type: 'poll-end' }> = {
    type: 'poll-end',
    atMs: record.finishedAtMs,
    poll: record.poll,
    complete: record.outcome.complete,
    requests: record.journal.length,
    pages: record.outcome.pages,
    ws1Records: record.outcome.ws1Records,
    counts: { ...record.counts },
  }
  if (record.outcome.error !== undefined) end.error = record.outcome.error
  emit(end)
  emit({ type: 'verdicts', atMs: record.finishedAtMs, poll: record.poll, results })
}

function emitRequest(emit: (event: RunEvent) => void, entry: JournalEntry, poll: number, startMs: number): void {
  const atMs = entry.time - startMs
  emit({ type: 'request', atMs, poll, method: entry.method, path: entry.path, status: entry.status, query: entry.query })
  if (/connect\/token|oauth/i.test(entry.path)) emit({ type: 'token', atMs, poll, status: entry.status })
  if (/devices\/search$/i.test(entry.path)) {
    const page = Object.entries(entry.query).find(([key]) => key.toLowerCase() === 'page')?.[1] ?? '0'
    emit({ type: 'page', atMs, poll, page: Number(page), status: entry.status })
  }
}

/** Starts the emulator with the scenario's tenant, fleet, imports and initial faults. */
async function startScenarioServer(
  spec: ScenarioSpec,
  file: string | undefined,
  options: Pick<MockServerOptions, 'clock' | 'logger' | 'journalSize' | 'host' | 'port'>,
  onFaultAdded?: (id: string, fault: FaultSpec) => void,
): Promise<RunningMockServer> {
  const startMs = options.clock?.now() ?? Date.parse(spec.start ?? DEFAULT_START)
  const server = await startMockServer({
    host: '127.0.0.1',
    port: 0,
    ...options,
    seed: spec.seed ?? 1,
    tenants: [buildTenantSpec(spec, startMs)],
  })
  try {
    const imports = spec.fleet?.import === undefined ? [] : Array.isArray(spec.fleet.import) ? spec.fleet.import : [spec.fleet.import]
    for (const importPath of imports) server.tenant.importSearchExport(readSearchExport(resolveImportPath(file, importPath)).body)
    for (const fault of spec.faults ?? []) onFaultAdded?.(server.emulator.addFault(toFaultRule(fault, startMs)), fault)
  } catch (error) {
    await server.close()
    throw error
  }
  return server
}

/**
 * Starts the emulator of a scenario for `ws1sim serve --scenario`: tenant,
 * fleet, imports and initial faults. Timeline steps are not applied.
 */
export async function startScenarioEmulator(
  scenario: LoadedScenario,
  options: Pick<MockServerOptions, 'clock' | 'logger' | 'host' | 'port' | 'adminToken' | 'tls' | 'journalSize'> = {},
): Promise<RunningMockServer> {
  return startScenarioServer(scenario.spec, scenario.file, options)
}

/** Runs many scenarios one after another, optionally one shard and those whose name contains `grep`. */
export async function runScenarios(
  list: LoadedScenario[],
  options: RunOptions & {
    shard?: { index: number; total: number }
    grep?: string
    onProgress?: (done: number, total: number, report: ScenarioReport) => void
  } = {},
): Promise<RunReport> {
  const wallStart = performance.now()
  let selected = options.shard === undefined ? list : selectShard(list, options.shard.index, options.shard.total)
  if (options.grep !== undefined) {
    const needle = options.grep.toLowerCase()
    selected = selected.filter((scenario) => scenario.name.toLowerCase().includes(needle))
  }
  const scenarios: ScenarioReport[] = []
  for (const scenario of selected) {
    if (options.signal?.aborted === true) break
    const report = await runScenario(scenario, options)
    scenarios.push(report)
    options.onProgress?.(scenarios.length, selected.length, report)
  }
  const passed = scenarios.filter((report) => report.passed).length
  return { scenarios, total: scenarios.length, passed, failed: scenarios.length - passed, wallMs: Math.round(performance.now() - wallStart) }
}
