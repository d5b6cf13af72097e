/**
 * Applies scenario timeline steps to a running emulator and checker. The
 * runner calls it on the virtual clock, and `ws1sim demo --live` on the
 * real clock.
 */
import type { DeviceSelector, RunningMockServer, TenantControl } from '../mock-workspace-one/types'
import type { PostureChecker } from '../posture-checker'
import type { CheckerConfig, CloudflareDevice } from '../posture-checker/types'
import { toCloudflareDevice, toDeviceSpec, toFaultRule, toFullDeviceSpec } from './build'
import { TIMELINE_ACTIONS, clientsOf } from './defaults'
import type { DeviceSelectorSpec, FaultSpec, ScenarioSpec, TimelineStep } from './spec'

/**
 * Run state that timeline steps read and change. A step that changes the
 * integration or the Cloudflare device list replaces `config` or `devices`.
 */
export interface StepTarget {
  spec: ScenarioSpec
  server: RunningMockServer
  /** Clock of the run; relative device times such as `-7d` count from its now. */
  clock: { now(): number }
  /** Epoch ms of scenario time zero; fault windows such as `after: 10m` count from it. */
  startMs: number
  config: CheckerConfig
  checker: PostureChecker
  devices: CloudflareDevice[]
  /** Called with the id and spec of each fault a step adds. */
  onFaultAdded?: (id: string, fault: FaultSpec) => void
}

/** Names the action of a step, such as `set_policy`. */
export function actionOf(step: TimelineStep): string {
  return TIMELINE_ACTIONS.find((action) => step[action] !== undefined) ?? 'none'
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

/** Applies one timeline step; returns a short description for events. Throws when the step fails. */
export function applyTimelineStep(step: TimelineStep, context: StepTarget): string {
  const detail = applyDeviceStep(step, context) ?? applyCredentialStep(step, context)
  if (detail !== undefined) return detail

  const emulator = context.server.emulator
  if (step.add_fault) {
    const id = emulator.addFault(toFaultRule(step.add_fault, context.startMs))
    context.onFaultAdded?.(id, step.add_fault)
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
function applyDeviceStep(step: TimelineStep, context: StepTarget): string | undefined {
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
function applyCredentialStep(step: TimelineStep, context: StepTarget): string | undefined {
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
  context: StepTarget,
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

function changeCloudflareDevices(change: NonNullable<TimelineStep['cloudflare_devices']>, context: StepTarget): string {
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
