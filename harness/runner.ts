/**
 * Runs scenarios: starts the emulator on 127.0.0.1 with the virtual clock,
 * applies the fleet, builds the checker, drives polls and timeline steps on
 * one clock, then evaluates the expectations. Everything started is closed
 * in a finally block, also when the run fails.
 */
import pino, { type Logger } from 'pino'
import { stringify } from 'yaml'
import { startMockServer } from '../mock-workspace-one'
import type { DeviceSelector, JournalEntry, MockServerOptions, RunningMockServer, TenantControl } from '../mock-workspace-one/types'
import { PostureChecker } from '../posture-checker'
import type { CheckerConfig, CheckerOptions, CloudflareDevice, PollOutcome } from '../posture-checker/types'
import { buildCheckerConfig, buildCheckerOptions, buildTenantSpec, cloudflarePlatformOf, toDeviceSpec, toFaultRule, toFullDeviceSpec } from './build'
import { DEFAULT_INTERVAL, DEFAULT_START, DEFAULT_TENANT_CODE, clientsOf, readSearchExport, resolveImportPath } from './defaults'
import { formatDurationMs, parseDurationMs } from './duration'
import { evaluateExpectations } from './expectations'
import type { LoadedScenario } from './loader'
import type { PollRecord, RunEvent, RunReport, ScenarioReport } from './report'
import { selectShard } from './shard'
import type { DeviceSelectorSpec, ScenarioSpec, TimelineStep } from './spec'
import { formatScenarioError, validateScenarioText } from './validate'
import { VirtualClock } from './virtual-clock'

export interface RunOptions {
  /** Logger handed to the emulator and the checker; silent by default. */
  logger?: Logger
  onEvent?: (event: RunEvent) => void
  /** Virtual time the last poll may run past the duration before the run fails. Default 1 day. */
  overrunLimitMs?: number
}

/** Journal capacity for a run; the runner reads each poll's entries right after the poll. */
const RUN_JOURNAL_SIZE = 200_000
const DEFAULT_OVERRUN_LIMIT_MS = 86_400_000

/** Mutable state of one run, shared by the poll loop and the timeline steps. */
interface RunContext {
  spec: ScenarioSpec
  file: string | undefined
  server: RunningMockServer
  clock: VirtualClock
  startMs: number
  config: CheckerConfig
  checker: PostureChecker
  devices: CloudflareDevice[]
  polls: PollRecord[]
  errors: string[]
  lastSeq: number
  emit: (event: RunEvent) => void
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

  try {
    server = await startScenarioServer(spec, file, { clock: clock.serverView(), logger, journalSize: RUN_JOURNAL_SIZE })
    const devices = buildCloudflareDevices(spec, server)
    const config = buildCheckerConfig(spec, server, devices)
    const checkerOptions: CheckerOptions = {
      ...buildCheckerOptions(spec.cloudflare?.checker, spec.tenant?.tenant_code ?? DEFAULT_TENANT_CODE),
      clock,
      fetch: clock.trackFetch((input, init) => globalThis.fetch(input, init)),
      logger,
      seed: spec.seed ?? 1,
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
    }
    await drive(context, durationMs, intervalMs, options.overrunLimitMs ?? DEFAULT_OVERRUN_LIMIT_MS)
  } catch (error) {
    report.error = `run failed: ${(error as Error).message}`
  } finally {
    await server?.close()
  }

  if (context !== undefined) {
    report.polls = context.polls
    if (context.errors.length > 0 && report.error === undefined) report.error = context.errors.join('; ')
    report.expectations = evaluateExpectations(spec.expect, {
      polls: context.polls,
      rules: context.config.rules,
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

/** Schedules steps and polls on the clock and runs it to the end of the scenario. */
async function drive(context: RunContext, durationMs: number, intervalMs: number, overrunLimitMs: number): Promise<void> {
  const { clock, startMs } = context
  // Steps are registered before any poll, so a step at a poll's time applies first.
  context.spec.timeline?.forEach((step, index) => {
    clock.at(startMs + (parseDurationMs(step.at) ?? 0), () => {
      try {
        const detail = applyStep(step, context)
        context.emit({ type: 'step', atMs: clock.now() - startMs, index, action: actionOf(step), detail })
      } catch (error) {
        context.errors.push(`timeline[${index}] at ${step.at}: ${actionOf(step)} failed: ${(error as Error).message}`)
      }
    })
  })

  let activePoll: Promise<void> | undefined
  const schedulePoll = (tick: number): void => {
    if (tick * intervalMs > durationMs) return
    clock.at(startMs + tick * intervalMs, () => {
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

  await clock.runUntil(startMs + durationMs)
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
  const record: PollRecord = {
    poll: number,
    startedAtMs: startedAt - startMs,
    finishedAtMs: outcome.finishedAt - startMs,
    outcome,
    journal,
    ws1DevicesAtStart,
  }
  context.polls.push(record)
  emitPollEvents(context, record)
}

function emitPollEvents(context: RunContext, record: PollRecord): void {
  const { emit, startMs } = context
  for (const entry of record.journal) emitRequest(emit, entry, record.poll, startMs)
  const results = record.outcome.results
  const counts = { compliant: 0, noncompliant: 0, unknown: 0 }
  for (const result of results) counts[result.status]++
  const end: Extract<RunEvent, { type: 'poll-end' }> = {
    type: 'poll-end',
    atMs: record.finishedAtMs,
    poll: record.poll,
    complete: record.outcome.complete,
    requests: record.journal.length,
    pages: record.outcome.pages,
    ws1Records: record.outcome.ws1Records,
    counts,
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

const ACTIONS = [
  'set_policy', 'update_device', 'unenroll', 'reenroll', 'add_device', 'remove_device', 'rotate_secret',
  'disable_client', 'enable_client', 'revoke_tokens', 'set_tenant_code', 'add_fault', 'remove_fault',
  'clear_faults', 'cloudflare_devices',
] as const

function actionOf(step: TimelineStep): string {
  return ACTIONS.find((action) => step[action] !== undefined) ?? 'none'
}

function selectorOf(spec: DeviceSelectorSpec): DeviceSelector {
  if (spec.id !== undefined) return { id: spec.id }
  if (spec.uuid !== undefined) return { uuid: spec.uuid }
  return { serialNumber: spec.serial ?? '' }
}

function describeSelector(spec: DeviceSelectorSpec): string {
  if (spec.id !== undefined) return `id ${spec.id}`
  if (spec.uuid !== undefined) return `uuid ${spec.uuid}`
  return `serial ${JSON.stringify(spec.serial)}`
}

/** Applies one timeline step; returns a short description for events. */
function applyStep(step: TimelineStep, context: RunContext): string {
  const detail = applyDeviceStep(step, context) ?? applyCredentialStep(step, context)
  if (detail !== undefined) return detail

  const emulator = context.server.emulator
  if (step.add_fault) {
    const id = emulator.addFault(toFaultRule(step.add_fault, context.startMs))
    return `fault ${id} added (${step.add_fault.effect.type})`
  }
  if (step.remove_fault !== undefined) {
    emulator.removeFault(step.remove_fault)
    return `fault ${step.remove_fault} removed`
  }
  if (step.clear_faults) {
    emulator.clearFaults()
    return 'faults cleared'
  }
  if (step.cloudflare_devices) return changeCloudflareDevices(step.cloudflare_devices, context)
  throw new Error('the step has no action')
}

/** Applies a step that changes a Workspace ONE device record; undefined for other steps. */
function applyDeviceStep(step: TimelineStep, context: RunContext): string | undefined {
  const tenant = context.server.tenant
  const now = context.clock.now()
  if (step.set_policy) {
    const { policy, result } = step.set_policy
    const change = result === 'pending' ? { pending: true } : { compliant: result === 'pass', pending: false }
    tenant.setPolicy(selectorOf(step.set_policy), policy, change)
    return `${describeSelector(step.set_policy)}: ${policy} -> ${result}`
  }
  if (step.update_device) {
    tenant.updateDevice(selectorOf(step.update_device), toDeviceSpec(step.update_device.set, now))
    return `${describeSelector(step.update_device)} updated`
  }
  if (step.unenroll) {
    tenant.unenroll(selectorOf(step.unenroll))
    return `${describeSelector(step.unenroll)} unenrolled`
  }
  if (step.reenroll) {
    const patch = step.reenroll.set ? toDeviceSpec(step.reenroll.set, now) : undefined
    const created = tenant.reenroll(selectorOf(step.reenroll), patch)
    return `${describeSelector(step.reenroll)} re-enrolled as id ${created.id}`
  }
  if (step.add_device) {
    const created = tenant.addDevice(toFullDeviceSpec(step.add_device, now))
    return `added serial ${JSON.stringify(step.add_device.serial)} as id ${created.id}`
  }
  if (step.remove_device) {
    tenant.removeDevice(selectorOf(step.remove_device))
    return `${describeSelector(step.remove_device)} removed`
  }
  return undefined
}

/** Applies a step that changes OAuth clients or the tenant code; undefined for other steps. */
function applyCredentialStep(step: TimelineStep, context: RunContext): string | undefined {
  const tenant = context.server.tenant
  const defaultClient = clientsOf(context.spec)[0]?.client_id ?? ''
  if (step.rotate_secret) return rotateSecret(step.rotate_secret, tenant, context, defaultClient)
  if (step.disable_client) {
    const clientId = step.disable_client.client_id ?? defaultClient
    tenant.disableClient(clientId)
    return `client ${clientId} disabled`
  }
  if (step.enable_client) {
    const clientId = step.enable_client.client_id ?? defaultClient
    tenant.enableClient(clientId)
    return `client ${clientId} enabled`
  }
  if (step.revoke_tokens) {
    const clientId = step.revoke_tokens.client_id ?? defaultClient
    tenant.revokeTokens(clientId)
    return `tokens of ${clientId} revoked`
  }
  if (step.set_tenant_code !== undefined) {
    tenant.setTenantCode(step.set_tenant_code)
    return 'tenant code changed'
  }
  return undefined
}

function rotateSecret(
  step: NonNullable<TimelineStep['rotate_secret']>,
  tenant: TenantControl,
  context: RunContext,
  defaultClient: string,
): string {
  const clientId = step.client_id ?? defaultClient
  const secret = tenant.rotateSecret(clientId, step.new_secret)
  if (!step.update_integration) return `secret of ${clientId} rotated; the integration keeps the old secret`
  const current = context.config.integration
  const integration = { ...current, config: { ...current.config, client_secret: secret } }
  // The checker keeps its published results, so carried results and their expiration continue.
  context.checker.updateIntegration(integration, { env: {} })
  context.config = { ...context.config, integration }
  return `secret of ${clientId} rotated and the integration updated`
}

function changeCloudflareDevices(change: NonNullable<TimelineStep['cloudflare_devices']>, context: RunContext): string {
  const removed = new Set(change.remove ?? [])
  let devices = context.devices.filter((device) => !removed.has(device.device_id))
  for (const update of change.update ?? []) {
    const index = devices.findIndex((device) => device.device_id === update.device_id)
    const current = devices[index]
    if (current === undefined) throw new Error(`no Cloudflare device has device_id ${JSON.stringify(update.device_id)}`)
    const next: CloudflareDevice = { ...current }
    if (update.serial_number !== undefined) next.serial_number = update.serial_number
    if (update.platform !== undefined) next.platform = update.platform
    devices[index] = next
  }
  devices = [...devices, ...(change.add ?? []).map(toCloudflareDevice)]
  context.devices = devices
  context.checker.setDevices(devices)
  return `Cloudflare device list now has ${devices.length} devices`
}

function toCloudflareDevice(spec: { device_id: string; serial_number: string | null; platform: CloudflareDevice['platform']; email?: string; name?: string }): CloudflareDevice {
  const device: CloudflareDevice = { device_id: spec.device_id, serial_number: spec.serial_number, platform: spec.platform }
  if (spec.email !== undefined) device.email = spec.email
  if (spec.name !== undefined) device.name = spec.name
  return device
}

/** Starts the emulator with the scenario's tenant, fleet, imports and initial faults. */
async function startScenarioServer(
  spec: ScenarioSpec,
  file: string | undefined,
  options: Pick<MockServerOptions, 'clock' | 'logger' | 'journalSize' | 'host' | 'port'>,
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
    for (const fault of spec.faults ?? []) server.emulator.addFault(toFaultRule(fault, startMs))
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

/** Builds the Cloudflare device list: explicit devices, then the mirrored fleet. */
function buildCloudflareDevices(spec: ScenarioSpec, server: RunningMockServer): CloudflareDevice[] {
  const devices = (spec.cloudflare?.devices ?? []).map(toCloudflareDevice)
  const mirror = spec.cloudflare?.mirror_fleet
  if (mirror === undefined || mirror === false) return devices
  const except = new Set(typeof mirror === 'object' ? mirror.except ?? [] : [])
  const overrides = typeof mirror === 'object' ? mirror.overrides ?? [] : []
  const seen = new Set<string>()
  let counter = 0
  for (const record of server.tenant.listDevices()) {
    const key = record.serialNumber.trim().toLowerCase()
    if (key === '' || seen.has(key) || except.has(record.serialNumber) || except.has(record.serialNumber.trim())) continue
    seen.add(key)
    counter++
    const device: CloudflareDevice = {
      device_id: `cf-${String(counter).padStart(5, '0')}`,
      serial_number: record.serialNumber.trim(),
      platform: cloudflarePlatformOf(record.platform),
    }
    const override = overrides.find((candidate) => candidate.serial === record.serialNumber || candidate.serial === record.serialNumber.trim())
    if (override?.device_id !== undefined) device.device_id = override.device_id
    if (override?.serial_number !== undefined) device.serial_number = override.serial_number
    if (override?.platform !== undefined) device.platform = override.platform
    devices.push(device)
  }
  return devices
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
    const report = await runScenario(scenario, options)
    scenarios.push(report)
    options.onProgress?.(scenarios.length, selected.length, report)
  }
  const passed = scenarios.filter((report) => report.passed).length
  return { scenarios, total: scenarios.length, passed, failed: scenarios.length - passed, wallMs: Math.round(performance.now() - wallStart) }
}
