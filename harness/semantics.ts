/**
 * Checks a schema-valid scenario for problems the schema cannot express:
 * references between sections, times outside the run, and impossible values.
 */
import { createMockServer } from '../mock-workspace-one'
import type { TenantControl } from '../mock-workspace-one/types'
import { parseDurationMs } from './duration'
import {
  DEFAULT_INTERVAL,
  DEFAULT_INTEGRATION_ID,
  DEFAULT_INTEGRATION_NAME,
  DEFAULT_TENANT_CODE,
  DEFAULT_TENANT_NAME,
  TIMELINE_ACTIONS,
  readSearchExport,
  resolveImportPath,
} from './defaults'
import type { DeviceSelectorSpec, FaultSpec, ScenarioSpec, TimelineStep, WhenSpec } from './spec'
import type { Report } from './validate'
import type { PathSegment } from './yaml-source'

/** Serials and device ids known to the scenario, for reference checks. */
interface Known {
  /** Serials of Workspace ONE records; null when a generated fleet makes them unpredictable. */
  ws1Serials: Set<string> | null
  serialPrefix: string | undefined
  cloudflareRefs: Set<string> | null
}

export function checkSemantics(spec: ScenarioSpec, file: string, report: Report): void {
  const durationMs = parseDurationMs(spec.duration ?? '0s') ?? 0
  const intervalMs = parseDurationMs(spec.cloudflare?.integration?.interval ?? DEFAULT_INTERVAL) ?? 0
  if (intervalMs <= 0) report(['cloudflare', 'integration', 'interval'], JSON.stringify(spec.cloudflare?.integration?.interval), 'a positive interval such as 5m')
  if (spec.start !== undefined && !isIsoTime(spec.start)) {
    report(['start'], JSON.stringify(spec.start), 'an ISO 8601 UTC time such as 2024-05-20T08:00:00Z')
  }
  const pollCount = intervalMs > 0 ? Math.floor(durationMs / intervalMs) + 1 : 1

  const known = collectKnown(spec, file, report)
  checkDevices(spec, report)
  checkRules(spec, report)
  const faultIds = new Set<string>()
  spec.faults?.forEach((fault, index) => checkFault(fault, ['faults', index], report, faultIds))
  checkTimeline(spec, durationMs, known, faultIds, report)
  checkExpectations(spec, durationMs, pollCount, known, report)
}

function isIsoTime(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/.test(text) && !Number.isNaN(Date.parse(text))
}

function collectKnown(spec: ScenarioSpec, file: string, report: Report): Known {
  const generate = spec.fleet?.generate
  const ws1Serials: Set<string> | null = generate !== undefined && generate.count > 0 && generate.serial_prefix === undefined ? null : new Set()
  for (const device of spec.fleet?.devices ?? []) ws1Serials?.add(device.serial)
  for (const step of spec.timeline ?? []) if (step.add_device) ws1Serials?.add(step.add_device.serial)

  const imports = spec.fleet?.import === undefined ? [] : Array.isArray(spec.fleet.import) ? spec.fleet.import : [spec.fleet.import]
  let scratchTenant: TenantControl | undefined
  imports.forEach((importPath, index) => {
    const path: PathSegment[] = Array.isArray(spec.fleet?.import) ? ['fleet', 'import', index] : ['fleet', 'import']
    let searchExport: ReturnType<typeof readSearchExport>
    try {
      searchExport = readSearchExport(resolveImportPath(file, importPath))
    } catch (error) {
      report(path, JSON.stringify(importPath), `a readable devices/search JSON export (${(error as Error).message})`)
      return
    }
    for (const serial of searchExport.serials) ws1Serials?.add(serial)
    // The emulator's own import reads every record, so a value it rejects fails here and not when the run starts.
    // NOTE: the scratch tenant contains only the imports, so an imported id that clashes with a fleet device still fails only at run time.
    scratchTenant ??= createMockServer({ tenants: [{ name: DEFAULT_TENANT_NAME, tenantCode: DEFAULT_TENANT_CODE }] }).emulator.tenant()
    try {
      scratchTenant.importSearchExport(searchExport.body)
    } catch (error) {
      const problem = (error as Error).message.replace(/\.$/, '')
      report(path, `${JSON.stringify(importPath)} (${problem})`, 'a devices/search JSON export whose records the emulator can import')
    }
  })

  const mirror = spec.cloudflare?.mirror_fleet
  let cloudflareRefs: Set<string> | null = new Set()
  if (mirror !== undefined && mirror !== false) {
    if (ws1Serials === null) cloudflareRefs = null
    else for (const serial of ws1Serials) cloudflareRefs.add(serial.trim())
    if (typeof mirror === 'object') {
      for (const override of mirror.overrides ?? []) {
        if (override.device_id !== undefined) cloudflareRefs?.add(override.device_id)
        if (typeof override.serial_number === 'string') cloudflareRefs?.add(override.serial_number)
      }
    }
  }
  const addCloudflare = (device: { device_id: string; serial_number: string | null }): void => {
    cloudflareRefs?.add(device.device_id)
    if (device.serial_number) cloudflareRefs?.add(device.serial_number)
  }
  for (const device of spec.cloudflare?.devices ?? []) addCloudflare(device)
  for (const step of spec.timeline ?? []) for (const device of step.cloudflare_devices?.add ?? []) addCloudflare(device)
  return { ws1Serials, serialPrefix: generate?.serial_prefix, cloudflareRefs }
}

function checkDevices(spec: ScenarioSpec, report: Report): void {
  spec.fleet?.devices?.forEach((device, index) => {
    for (const key of ['last_seen', 'enrolled_on'] as const) {
      const value = device[key]
      if (typeof value === 'string' && !isIsoTime(value) && !/^-\d+(ms|s|m|h|d)$/.test(value)) {
        report(['fleet', 'devices', index, key], JSON.stringify(value), 'an ISO 8601 time such as 2024-05-01T08:00:00.000, an offset such as -7d, or null')
      }
    }
  })
  const ids = new Set(spec.cloudflare?.devices?.map((device) => device.device_id))
  if (ids.size !== (spec.cloudflare?.devices?.length ?? 0)) {
    const seen = new Set<string>()
    spec.cloudflare?.devices?.forEach((device, index) => {
      if (seen.has(device.device_id)) report(['cloudflare', 'devices', index, 'device_id'], JSON.stringify(device.device_id), 'a device_id not used by another Cloudflare device')
      seen.add(device.device_id)
    })
  }
}

function checkRules(spec: ScenarioSpec, report: Report): void {
  const integration = spec.cloudflare?.integration
  const names = new Set([integration?.id ?? DEFAULT_INTEGRATION_ID, integration?.name ?? DEFAULT_INTEGRATION_NAME])
  spec.cloudflare?.rules?.forEach((rule, index) => {
    const connection = rule.input.connection_id
    if (connection !== undefined && !names.has(connection)) {
      report(['cloudflare', 'rules', index, 'input', 'connection_id'], JSON.stringify(connection), `the integration's id or name (${[...names].map((name) => JSON.stringify(name)).join(' or ')})`)
    }
  })
}

function checkFault(fault: FaultSpec, path: PathSegment[], report: Report, faultIds: Set<string>): void {
  if (fault.id !== undefined && faultIds.has(fault.id)) {
    report([...path, 'id'], JSON.stringify(fault.id), 'a fault id not used by an earlier fault')
  }
  if (fault.id !== undefined) faultIds.add(fault.id)
  const effect = fault.effect as unknown as Record<string, unknown>
  const needs: Record<string, string> = { status: 'status', delay: 'ms', 'wrong-total': 'total' }
  const needed = needs[fault.effect.type]
  if (needed !== undefined && effect[needed] === undefined) {
    report([...path, 'effect'], `no key "${needed}"`, `"${needed}" for an effect of type ${fault.effect.type}`, { at: 'key' })
  }
  if (fault.match?.nth !== undefined && fault.match.from_nth !== undefined) {
    report([...path, 'match', 'from_nth'], 'both nth and from_nth', 'only one of nth (that call only) or from_nth (that call and later ones)', { at: 'key' })
  }
  for (const key of ['after', 'before'] as const) {
    const value = fault.match?.[key]
    if (value !== undefined && parseDurationMs(value) === undefined && !isIsoTime(value)) {
      report([...path, 'match', key], JSON.stringify(value), 'a virtual offset such as 10m or an ISO 8601 time')
    }
  }
}

function selectorProblem(selector: DeviceSelectorSpec): string | undefined {
  const given = (['serial', 'id', 'uuid'] as const).filter((key) => selector[key] !== undefined)
  if (given.length === 1) return undefined
  return given.length === 0 ? 'no device selector' : `${given.join(' and ')} together`
}

function checkTimeline(spec: ScenarioSpec, durationMs: number, known: Known, faultIds: Set<string>, report: Report): void {
  const serials = known.ws1Serials === null ? null : new Set(known.ws1Serials)
  // Mirrored devices get generated ids, so only explicit lists can be checked.
  const mirrored = spec.cloudflare?.mirror_fleet !== undefined && spec.cloudflare.mirror_fleet !== false
  const cloudflareIds = mirrored ? null : new Set((spec.cloudflare?.devices ?? []).map((device) => device.device_id))
  const timeline = spec.timeline ?? []
  let previousMs = 0
  timeline.forEach((step, index) => {
    const path: PathSegment[] = ['timeline', index]
    const atMs = parseDurationMs(step.at) ?? 0
    if (atMs > durationMs) report([...path, 'at'], JSON.stringify(step.at), `a time within the duration (${spec.duration ?? '0s'})`)
    if (atMs < previousMs) report([...path, 'at'], JSON.stringify(step.at), 'steps in time order')
    previousMs = atMs

    const actions = TIMELINE_ACTIONS.filter((key) => step[key] !== undefined)
    if (actions.length !== 1) {
      report(path, actions.length === 0 ? 'no action' : `several actions (${actions.join(', ')})`, `exactly one of ${TIMELINE_ACTIONS.join(', ')}`, { at: 'key' })
      return
    }
    const action = actions[0] as (typeof TIMELINE_ACTIONS)[number]
    const selector = selectorOf(step)
    if (selector !== undefined) {
      const problem = selectorProblem(selector)
      if (problem !== undefined) report([...path, action], problem, 'exactly one of serial, id or uuid', { at: 'key' })
      else if (selector.serial !== undefined && serials !== null && !serials.has(selector.serial) && !matchesPrefix(selector.serial, known)) {
        report([...path, action, 'serial'], JSON.stringify(selector.serial), 'the serial of a device in the fleet (exactly as stored)')
      }
    }
    if (step.cloudflare_devices) checkCloudflareChange(step.cloudflare_devices, [...path, 'cloudflare_devices'], cloudflareIds, report)
    if (step.add_fault) checkFault(step.add_fault, [...path, 'add_fault'], report, faultIds)
    if (step.remove_fault !== undefined && !faultIds.has(step.remove_fault)) {
      report([...path, 'remove_fault'], JSON.stringify(step.remove_fault), `the id of an earlier fault (${[...faultIds].join(', ') || 'none defined'})`)
    }
    if (step.add_device) serials?.add(step.add_device.serial)
  })
}

function checkCloudflareChange(
  change: NonNullable<TimelineStep['cloudflare_devices']>,
  path: PathSegment[],
  cloudflareIds: Set<string> | null,
  report: Report,
): void {
  const expected = 'the device_id of a Cloudflare device present at that time'
  change.remove?.forEach((deviceId, index) => {
    if (cloudflareIds !== null && !cloudflareIds.has(deviceId)) report([...path, 'remove', index], JSON.stringify(deviceId), expected)
  })
  change.update?.forEach((update, index) => {
    if (cloudflareIds !== null && !cloudflareIds.has(update.device_id)) {
      report([...path, 'update', index, 'device_id'], JSON.stringify(update.device_id), expected)
    }
  })
  for (const deviceId of change.remove ?? []) cloudflareIds?.delete(deviceId)
  for (const device of change.add ?? []) cloudflareIds?.add(device.device_id)
}

function selectorOf(step: TimelineStep): DeviceSelectorSpec | undefined {
  return step.set_policy ?? step.update_device ?? step.unenroll ?? step.reenroll ?? step.remove_device
}

function matchesPrefix(serial: string, known: Known): boolean {
  return known.serialPrefix !== undefined && serial.startsWith(known.serialPrefix)
}

function checkWhen(when: WhenSpec, path: PathSegment[], durationMs: number, pollCount: number, report: Report): void {
  if (when.at !== undefined && when.after_poll !== undefined) {
    report([...path, 'at'], 'both at and after_poll', 'only one of at or after_poll', { at: 'key' })
  }
  if (when.at !== undefined && (parseDurationMs(when.at) ?? 0) > durationMs) {
    report([...path, 'at'], JSON.stringify(when.at), 'a time within the duration')
  }
  if (when.after_poll !== undefined && when.after_poll > pollCount) {
    report([...path, 'after_poll'], String(when.after_poll), pollCount === 1 ? 'poll number 1 (the duration and interval give 1 poll)' : `a poll number from 1 to ${pollCount} (the duration and interval give ${pollCount} polls)`)
  }
}

function checkExpectations(spec: ScenarioSpec, durationMs: number, pollCount: number, known: Known, report: Report): void {
  const expectations = spec.expect
  if (expectations === undefined) return
  const ruleNames = new Set<string>()
  for (const rule of spec.cloudflare?.rules ?? []) {
    ruleNames.add(rule.name)
    if (rule.id !== undefined) ruleNames.add(rule.id)
  }
  const checkRule = (rule: string | undefined, path: PathSegment[]): void => {
    if (rule !== undefined && ruleNames.size > 0 && !ruleNames.has(rule)) {
      report([...path, 'rule'], JSON.stringify(rule), `the name or id of a rule (${[...ruleNames].join(', ')})`)
    }
  }
  const checkDevice = (device: string, path: PathSegment[]): void => {
    const refs = known.cloudflareRefs
    if (refs !== null && !refs.has(device) && !refs.has(device.trim()) && !matchesPrefix(device, known)) {
      report([...path, 'device'], JSON.stringify(device), 'the device_id or serial_number of a Cloudflare device')
    }
  }
  expectations.devices?.forEach((expectation, index) => {
    const path: PathSegment[] = ['expect', 'devices', index]
    checkWhen(expectation, path, durationMs, pollCount, report)
    checkRule(expectation.rule, path)
    checkDevice(expectation.device, path)
  })
  expectations.counts?.forEach((expectation, index) => {
    const path: PathSegment[] = ['expect', 'counts', index]
    checkWhen(expectation, path, durationMs, pollCount, report)
    checkRule(expectation.rule, path)
  })
  expectations.polls?.forEach((expectation, index) => {
    if (typeof expectation.poll === 'number' && expectation.poll > pollCount) {
      report(['expect', 'polls', index, 'poll'], String(expectation.poll), `a poll number from 1 to ${pollCount}`)
    }
  })
  expectations.journal?.requests?.forEach((expectation, index) => {
    const path: PathSegment[] = ['expect', 'journal', 'requests', index]
    const bounds = ['count', 'min', 'max'].filter((key) => expectation[key as 'count' | 'min' | 'max'] !== undefined)
    if (bounds.length === 0) report(path, 'no count, min or max', 'at least one of count, min or max', { at: 'key' })
    if (expectation.path?.includes('?')) {
      report([...path, 'path'], JSON.stringify(expectation.path), 'a path without a query string; put query parameters under query')
    }
    if (expectation.poll !== undefined && expectation.poll > pollCount) {
      report([...path, 'poll'], String(expectation.poll), `a poll number from 1 to ${pollCount}`)
    }
  })
  expectations.latency?.forEach((expectation, index) => {
    const path: PathSegment[] = ['expect', 'latency', index]
    checkRule(expectation.rule, path)
    checkDevice(expectation.device, path)
    if ((parseDurationMs(expectation.change_at) ?? 0) > durationMs) {
      report([...path, 'change_at'], JSON.stringify(expectation.change_at), 'a time within the duration')
    }
  })
}
