/**
 * Builds canonical devices from `DeviceSpec`s. Every field the spec leaves
 * out gets a realistic default drawn from a seeded `Random`, so the same seed
 * and spec always give the same device. Both the fleet generator and
 * `DeviceStore.add` go through here, so their devices look alike.
 */
import type { DeviceSpec, PolicySpec } from './types'
import { NEVER_MS, parseIsoDate } from './dates'
import {
  DEFAULT_FAILURE_ACTIONS,
  ENROLLMENT_STATUSES,
  NO_ACTIONS,
  OWNERSHIP_CODES,
  PLATFORM_IDS,
  StoreError,
  deriveCompliance,
  emptyAttributes,
  type Device,
  type DeviceAttributes,
  type DevicePolicy,
  type EntityReference,
  type UnenrolledCompliance,
} from './device'
import { PLATFORM_PROFILES, lastFour, profileKeyFor, type ModelEntry } from './generator-catalog'
import { makeImei, makeMacAddress } from './generator-serials'
import type { Random } from './generator-random'

const DAY_MS = 86_400_000
const ZERO_GUID = '00000000-0000-0000-0000-000000000000'

/** The enrolled user drawn for a device. One object may serve several devices. */
export interface Person {
  first: string
  /** `UserName`, for example "jdoe". */
  userName: string
  email: string
  /**
   * `UserId`. Its name joins first, middle and last name with single
   * spaces, so an empty middle name gives the double space real records show.
   */
  user: EntityReference
}

/** Store callbacks and settings that building a device needs. */
export interface BuildContext {
  now: number
  random: Random
  unenrolled: UnenrolledCompliance
  group(name: string | undefined): EntityReference
  policy(name: string): { id: number; uuid: string }
  person(random: Random): Person
  /** When given, equal default attribute sets are shared through this cache. */
  attributeCache?: Map<string, DeviceAttributes>
}

function invalid(field: string, value: unknown, fix: string): StoreError {
  return new StoreError('invalid_spec', `Invalid device ${field} ${JSON.stringify(value)}: ${fix}.`)
}

function readDate(field: string, value: string | null | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (value === null) return NEVER_MS
  if (typeof value !== 'string') throw invalid(field, value, 'use an ISO 8601 date-time string or null')
  const parsed = parseIsoDate(value)
  if (parsed === undefined) {
    throw invalid(field, value, 'use an ISO 8601 date-time such as 2024-05-01T10:00:00.000Z')
  }
  return parsed
}

function readString(field: string, value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string') throw invalid(field, value, 'use a string')
  return value
}

function readPlatform(value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || !Object.prototype.hasOwnProperty.call(PLATFORM_IDS, value)) {
    throw invalid('platform', value, `use one of ${Object.keys(PLATFORM_IDS).join(', ')}`)
  }
  return value
}

function readOwnership(value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (!(OWNERSHIP_CODES as readonly unknown[]).includes(value)) {
    throw invalid('ownership', value, `use one of ${OWNERSHIP_CODES.join(', ')}`)
  }
  return value as string
}

function readEnrollment(value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (!(ENROLLMENT_STATUSES as readonly unknown[]).includes(value)) {
    throw invalid('enrollmentStatus', value, `use one of ${ENROLLMENT_STATUSES.join(', ')}`)
  }
  return value as string
}

function readMac(value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string') throw invalid('macAddress', value, 'use 12 hex digits')
  const digits = value.replace(/[:.-]/g, '').toUpperCase()
  if (!/^[0-9A-F]{12}$/.test(digits) && value !== '') {
    throw invalid('macAddress', value, 'use 12 hex digits, for example 848506B900BA')
  }
  return digits
}

/** Returns a stable model id for a model name outside the catalog. */
function modelIdFor(name: string): number {
  let hash = 0
  for (let i = 0; i < name.length; i++) hash = (Math.imul(hash, 31) + name.charCodeAt(i)) | 0
  return 1000 + (Math.abs(hash) % 9000)
}

const MODELS_BY_NAME = new Map<string, ModelEntry>(
  Object.values(PLATFORM_PROFILES).flatMap((profile) => profile.models.map((model) => [model.name, model] as const)),
)

function findModel(name: string): ModelEntry | undefined {
  return MODELS_BY_NAME.get(name)
}

/** Returns the person's shared e-mail string when the user name is theirs. */
function emailFor(userName: string, person: Person): string {
  return userName === person.userName ? person.email : `${userName}@example.com`
}

/** Converts scenario policies into device policies. */
export function buildPolicies(
  specs: readonly PolicySpec[],
  lastSeen: number,
  context: Pick<BuildContext, 'policy'>,
): DevicePolicy[] {
  if (!Array.isArray(specs)) throw invalid('policies', specs, 'use a list of {name, compliant, pending}')
  return specs.map((spec, index) => {
    if (spec === null || typeof spec !== 'object' || typeof spec.name !== 'string' || spec.name === '') {
      throw invalid(`policies[${index}]`, spec, 'give each policy a non-empty name')
    }
    if (spec.compliant !== undefined && typeof spec.compliant !== 'boolean') {
      throw invalid(`policies[${index}].compliant`, spec.compliant, 'use true or false')
    }
    if (spec.pending !== undefined && typeof spec.pending !== 'boolean') {
      throw invalid(`policies[${index}].pending`, spec.pending, 'use true or false')
    }
    const compliant = spec.compliant ?? true
    const reference = context.policy(spec.name)
    return {
      id: reference.id,
      uuid: reference.uuid,
      name: spec.name,
      detail: spec.name,
      compliant,
      pending: spec.pending ?? false,
      lastCheck: readDate(`policies[${index}].lastCheck`, spec.lastCheck, lastSeen),
      nextCheck: readDate(`policies[${index}].nextCheck`, spec.nextCheck, NEVER_MS),
      actions: spec.actions ?? (compliant ? NO_ACTIONS : DEFAULT_FAILURE_ACTIONS),
    }
  })
}

/** The per-device choices that default attributes depend on. */
interface AttributeInputs {
  platform: string
  mobile: boolean
  supervised: boolean
  oemInfo: string
  osBuild: string
  processorArchitecture: number
  assetNumber: string
  batteryLevel: string
  enrollmentUserUuid: string
  encrypted: boolean
  passcodePresent: boolean | null
  /** macOS local host name, or null on other platforms. */
  hostName: string | null
  depEnrolled: boolean
}

/**
 * Builds default attributes. With a cache, devices whose inputs are equal
 * share one frozen object, which keeps a 100k fleet small. Devices with a
 * unique input (asset number, macOS host name) get their own.
 */
function defaultAttributes(
  inputs: AttributeInputs,
  cache: Map<string, DeviceAttributes> | undefined,
): DeviceAttributes {
  const shareable = cache !== undefined && inputs.assetNumber === '' && inputs.hostName === null
  const key = shareable
    ? [
        inputs.platform,
        inputs.supervised,
        inputs.oemInfo,
        inputs.osBuild,
        inputs.processorArchitecture,
        inputs.batteryLevel,
        inputs.enrollmentUserUuid,
        inputs.encrypted,
        inputs.passcodePresent,
        inputs.depEnrolled,
      ].join('|')
    : ''
  if (shareable) {
    const cached = cache.get(key)
    if (cached !== undefined) return cached
  }

  const attributes = emptyAttributes()
  attributes.timeZone = ''
  attributes.easIds = []
  attributes.easId = ''
  attributes.assetNumber = inputs.assetNumber
  attributes.dataProtectionStatus = 0
  attributes.phoneNumber = ''
  attributes.supervised = inputs.supervised
  attributes.virtualMemory = 0
  attributes.oemInfo = inputs.oemInfo
  attributes.dndEnabled = false
  attributes.locatorEnabled = false
  attributes.cloudBackupEnabled = false
  attributes.activationLockEnabled = false
  attributes.networkTethered = false
  attributes.batteryLevel = inputs.batteryLevel
  attributes.roaming = false
  attributes.systemIntegrityProtectionEnabled = inputs.platform === 'AppleOsX'
  attributes.processorArchitecture = inputs.processorArchitecture
  attributes.totalPhysicalMemory = 0
  attributes.availablePhysicalMemory = 0
  attributes.osBuildVersion = inputs.osBuild
  attributes.enrollmentUserUuid = inputs.enrollmentUserUuid
  attributes.managedBy = 1
  attributes.wifiSsid = ''
  attributes.depTokenSource = 0
  attributes.encrypted = inputs.encrypted
  attributes.passcodePresent = inputs.passcodePresent
  attributes.passcodeCompliant = inputs.passcodePresent

  if (inputs.hostName !== null) {
    attributes.hostName = `${inputs.hostName}.local`
    attributes.localHostName = inputs.hostName
    attributes.userApprovedEnrollment = true
    attributes.enrolledViaDep = inputs.depEnrolled
  }

  if (!shareable) return attributes
  const frozen = Object.freeze(attributes)
  cache.set(key, frozen)
  return frozen
}

/** Mutable draft of a device before its derived fields are computed. */
export type DeviceDraft = { -readonly [K in keyof Device]: Device[K] } & {
  attributes: DeviceAttributes
}

/** Computes the derived compliance fields and freezes the draft into a stored device. */
export function finishDevice(draft: DeviceDraft, unenrolled: UnenrolledCompliance): Device {
  const { status, lastCheck } = deriveCompliance(draft, unenrolled)
  draft.complianceStatus = status
  draft.lastComplianceCheckOn = lastCheck
  return draft
}

/** Builds a device from a spec, drawing every missing field from `context.random`. */
export function buildDevice(spec: DeviceSpec, id: number, uuid: string, context: BuildContext): Device {
  return finishDevice(buildDraft(spec, id, uuid, context), context.unenrolled)
}

/** Like `buildDevice`, but returns the draft before its derived fields are computed. */
export function buildDraft(spec: DeviceSpec, id: number, uuid: string, context: BuildContext): DeviceDraft {
  if (spec === null || typeof spec !== 'object') {
    throw invalid('spec', spec, 'give an object with at least serialNumber')
  }
  if (typeof spec.serialNumber !== 'string') {
    throw invalid('serialNumber', spec.serialNumber, 'give a string; "" is allowed for devices without a serial')
  }
  const random = context.random
  const platform = readPlatform(spec.platform) ?? 'WinRT'
  const profile = PLATFORM_PROFILES[profileKeyFor(platform)]
  const modelName = readString('model', spec.model)
  const model = modelName === undefined ? random.pick(profile.models) : findModel(modelName)
  const [osVersion, osBuild] = random.pick(profile.systems)
  const person = context.person(random)
  const userName = readString('userName', spec.userName) ?? person.userName
  const fullName = readString('userFullName', spec.userFullName)
  const serial = spec.serialNumber
  const os = readString('operatingSystem', spec.operatingSystem) ?? osVersion
  const ownership = readOwnership(spec.ownership) ?? 'C'
  const lastSeen = readDate('lastSeen', spec.lastSeen, context.now - random.int(DAY_MS))
  const enrolledOn = readDate(
    'enrolledOn',
    spec.enrolledOn,
    (lastSeen === NEVER_MS ? context.now : lastSeen) - random.range(1, 365) * DAY_MS - random.int(DAY_MS),
  )
  const resolvedModelName = modelName ?? model?.name ?? 'Unknown'
  const mobile = profile.mobile
  const apple = platform === 'Apple' || platform === 'AppleOsX'
  // Apple and Android udids are lower-case hex, Windows and Linux ones upper-case.
  const lowerCaseUdid = apple || platform === 'Android'
  const udid = readString('udid', spec.udid) ?? random.hex(32, !lowerCaseUdid)
  const policies = buildPolicies(spec.policies ?? [], lastSeen === NEVER_MS ? context.now : lastSeen, context)
  if (spec.compromised !== undefined && spec.compromised !== null && typeof spec.compromised !== 'boolean') {
    throw invalid('compromised', spec.compromised, 'use true, false or null')
  }
  if (spec.evaluated !== undefined && typeof spec.evaluated !== 'boolean') {
    throw invalid('evaluated', spec.evaluated, 'use true or false')
  }

  const inputs: AttributeInputs = {
    platform,
    mobile,
    supervised: apple && ownership === 'C',
    oemInfo: readString('oemInfo', spec.oemInfo) ?? model?.oem ?? '',
    osBuild,
    processorArchitecture: profile.processorArchitecture,
    assetNumber: mobile && random.chance(0.2) ? udid : '',
    batteryLevel: mobile ? String(random.range(15, 100)) : '',
    enrollmentUserUuid: random.chance(0.9) ? ZERO_GUID : '',
    encrypted: random.chance(0.95),
    passcodePresent: mobile ? random.chance(0.97) : null,
    hostName: platform === 'AppleOsX' ? `${person.first}s-${(model?.family ?? 'Mac').replace(/ /g, '-')}` : null,
    depEnrolled: ownership === 'C',
  }
  const attributes = defaultAttributes(inputs, context.attributeCache)

  const draft: DeviceDraft = {
    id,
    uuid,
    udid,
    serialNumber: serial,
    macAddress: readMac(spec.macAddress) ?? makeMacAddress(random),
    imei: readString('imei', spec.imei) ?? (mobile ? makeImei(random) : ''),
    friendlyName:
      readString('friendlyName', spec.friendlyName) ??
      profile.friendlyName(userName, model?.family ?? resolvedModelName, resolvedModelName, os, lastFour(serial)),
    reportedName: reportedNameFor(platform, mobile, person.first, model?.family ?? resolvedModelName, random),
    group: context.group(readString('organizationGroup', spec.organizationGroup)),
    user: fullName === undefined ? person.user : { ...person.user, name: fullName },
    userName,
    userEmail: readString('userEmail', spec.userEmail) ?? emailFor(userName, person),
    ownership,
    platform,
    platformId: PLATFORM_IDS[platform] ?? 0,
    model: resolvedModelName,
    modelId: model?.modelId ?? modelIdFor(resolvedModelName),
    operatingSystem: os,
    lastSeen,
    enrollmentStatus: readEnrollment(spec.enrollmentStatus) ?? 'Enrolled',
    compromised: spec.compromised === undefined ? false : spec.compromised,
    enrolledOn,
    compromisedCheckOn: enrolledOn + random.range(5, 60) * 1000,
    evaluated: spec.evaluated ?? true,
    policies,
    complianceOverride: null,
    complianceStatus: 'Compliant',
    lastComplianceCheckOn: NEVER_MS,
    attributes,
  }
  return draft
}

/** Copies a stored device into a draft that may be changed. */
export function draftOf(device: Device): DeviceDraft {
  return { ...device, attributes: { ...device.attributes } }
}

/**
 * Applies a partial spec to a device and returns the new device. Fields the
 * patch leaves out keep their values; `id` and `uuid` cannot change.
 */
export function patchDevice(
  device: Device,
  patch: Partial<DeviceSpec>,
  context: Pick<BuildContext, 'policy' | 'group' | 'unenrolled'>,
): Device {
  if (patch === null || typeof patch !== 'object') {
    throw invalid('patch', patch, 'give an object with the fields to change')
  }
  if (patch.id !== undefined && patch.id !== device.id) {
    throw invalid('id', patch.id, 'ids cannot change; use reenroll for a new record')
  }
  if (patch.uuid !== undefined && patch.uuid !== device.uuid) {
    throw invalid('uuid', patch.uuid, 'uuids cannot change; use reenroll for a new record')
  }
  const draft = draftOf(device)

  // Identity and hardware.
  if (patch.serialNumber !== undefined) {
    if (typeof patch.serialNumber !== 'string') throw invalid('serialNumber', patch.serialNumber, 'use a string')
    draft.serialNumber = patch.serialNumber
  }
  const udid = readString('udid', patch.udid)
  if (udid !== undefined) draft.udid = udid
  const mac = readMac(patch.macAddress)
  if (mac !== undefined) draft.macAddress = mac
  const imei = readString('imei', patch.imei)
  if (imei !== undefined) draft.imei = imei
  const platform = readPlatform(patch.platform)
  if (platform !== undefined) {
    draft.platform = platform
    draft.platformId = PLATFORM_IDS[platform] ?? 0
  }
  const model = readString('model', patch.model)
  if (model !== undefined) {
    draft.model = model
    draft.modelId = findModel(model)?.modelId ?? modelIdFor(model)
  }
  const oem = readString('oemInfo', patch.oemInfo)
  if (oem !== undefined) draft.attributes.oemInfo = oem
  const os = readString('operatingSystem', patch.operatingSystem)
  if (os !== undefined) draft.operatingSystem = os

  // Enrollment and user.
  const ownership = readOwnership(patch.ownership)
  if (ownership !== undefined) draft.ownership = ownership
  const enrollment = readEnrollment(patch.enrollmentStatus)
  if (enrollment !== undefined) draft.enrollmentStatus = enrollment
  const userName = readString('userName', patch.userName)
  if (userName !== undefined) draft.userName = userName
  const userEmail = readString('userEmail', patch.userEmail)
  if (userEmail !== undefined) draft.userEmail = userEmail
  const fullName = readString('userFullName', patch.userFullName)
  if (fullName !== undefined) {
    draft.user = { id: device.user?.id ?? 0, uuid: device.user?.uuid ?? ZERO_GUID, name: fullName }
  }
  const friendly = readString('friendlyName', patch.friendlyName)
  if (friendly !== undefined) draft.friendlyName = friendly
  if (patch.organizationGroup !== undefined) {
    draft.group = context.group(readString('organizationGroup', patch.organizationGroup))
  }

  // Dates and compliance.
  if (patch.lastSeen !== undefined) draft.lastSeen = readDate('lastSeen', patch.lastSeen, NEVER_MS)
  if (patch.enrolledOn !== undefined) draft.enrolledOn = readDate('enrolledOn', patch.enrolledOn, NEVER_MS)
  if (patch.compromised !== undefined) {
    if (patch.compromised !== null && typeof patch.compromised !== 'boolean') {
      throw invalid('compromised', patch.compromised, 'use true, false or null')
    }
    draft.compromised = patch.compromised
  }
  if (patch.policies !== undefined) {
    const reference = draft.lastSeen === null || draft.lastSeen === NEVER_MS ? NEVER_MS : draft.lastSeen
    draft.policies = buildPolicies(patch.policies, reference, context)
    draft.complianceOverride = null
  }
  if (patch.evaluated !== undefined) {
    if (typeof patch.evaluated !== 'boolean') throw invalid('evaluated', patch.evaluated, 'use true or false')
    draft.evaluated = patch.evaluated
    draft.complianceOverride = null
  }
  return finishDevice(draft, context.unenrolled)
}

/**
 * Builds the name a device reports for itself: Apple and Android devices use
 * "<first name>'s <model family>", Windows its generated DESKTOP-XXXXXXX
 * name, Linux a lower-case host name.
 */
function reportedNameFor(
  platform: string,
  mobile: boolean,
  firstName: string,
  family: string,
  random: Random,
): string {
  if (mobile || platform === 'AppleOsX') return [firstName, "'s ", family].join('')
  if (platform === 'Linux') return [firstName.toLowerCase(), '-', family.toLowerCase().replace(/[^a-z0-9]+/g, '-')].join('')
  return ['DESKTOP-', random.chars(7)].join('')
}
