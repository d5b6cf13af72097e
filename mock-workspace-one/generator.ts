/**
 * Seeded fleet generator. The same options and seed give byte-identical
 * devices. Names come from a small pool drawn once per seed with a seeded
 * faker instance, and every per-device choice uses the cheap `Random`, which
 * keeps large fleets fast to generate.
 */
import { Faker, en } from '@faker-js/faker'
import type { FleetOptions, Ownership, Ws1Platform } from './types'
import { NEVER_MS } from './dates'
import {
  DEFAULT_FAILURE_ACTIONS,
  NO_ACTIONS,
  StoreError,
  type Device,
  type DevicePolicy,
} from './device'
import { PLATFORM_PROFILES, type FleetPlatform, type ModelEntry } from './generator-catalog'
import { buildDraft, finishDevice, type BuildContext, type Person } from './generator-device'
import { Random, mixSeed } from './generator-random'
import { PLACEHOLDER_SERIALS, makeSerial } from './generator-serials'

const DAY_MS = 86_400_000
const HOUR_MS = 3_600_000
/** Maximum count of one `generate` call, because a bigger fleet is more often a typing mistake than a plan. */
export const MAX_FLEET_SIZE = 1_000_000

const DEFAULT_PLATFORMS: ReadonlyArray<readonly [FleetPlatform, number]> = [
  ['windows', 0.5],
  ['macos', 0.2],
  ['ios', 0.1],
  ['android', 0.15],
  ['linux', 0.05],
]

const DEFAULT_OWNERSHIP: ReadonlyArray<readonly [Ownership, number]> = [
  ['C', 0.75],
  ['E', 0.15],
  ['S', 0.05],
  ['Undefined', 0.05],
]

const DEFAULT_POLICIES: NonNullable<FleetOptions['policies']> = [
  { name: 'Compromised Status', failureRate: 0.02 },
  { name: 'Encryption', failureRate: 0.03 },
  { name: 'OS Version', failureRate: 0.05, pendingRate: 0.01 },
]

/** Names drawn once per seed. The pool is small, so users repeat across devices as in real fleets. */
interface NamePool {
  first: string[]
  last: string[]
}

const namePools = new Map<number, NamePool>()

/** Returns the name pool for a seed, drawing it with a seeded faker on first use. */
export function namePool(seed: number): NamePool {
  const cached = namePools.get(seed)
  if (cached !== undefined) return cached
  const faker = new Faker({ locale: [en] })
  faker.seed(seed)
  const first = new Set<string>()
  const last = new Set<string>()
  for (let i = 0; i < 200; i++) {
    first.add(faker.person.firstName())
    last.add(faker.person.lastName())
  }
  const pool = { first: [...first], last: [...last] }
  if (namePools.size > 32) namePools.clear()
  namePools.set(seed, pool)
  return pool
}

/** Number of distinct users a seed draws from. Real users often enrol more than one device. */
const USER_POOL_SIZE = 50_000

/**
 * Returns a function that draws users from the seed's pool. The user with a
 * given index is always the same, and its objects are shared by every device
 * the function hands it to.
 */
export function personSource(seed: number): (random: Random) => Person {
  const pool = namePool(seed)
  const people = new Map<number, Person>()
  return (random) => {
    const userIndex = random.int(USER_POOL_SIZE)
    const known = people.get(userIndex)
    if (known !== undefined) return known
    const userRandom = new Random(mixSeed(seed, userIndex, 0x75736572))
    const first = userRandom.pick(pool.first)
    const last = userRandom.pick(pool.last)
    const middle = userRandom.chance(0.6) ? '' : userRandom.pick(pool.first)
    const userName = `${first.charAt(0)}${last}`.toLowerCase().replace(/[^a-z0-9]/g, '')
    const person: Person = {
      first,
      userName,
      email: `${userName}@example.com`,
      user: { id: 10_000 + userIndex, name: `${first} ${middle} ${last}`, uuid: userRandom.uuid() },
    }
    people.set(userIndex, person)
    return person
  }
}

function invalidOption(name: string, value: unknown, fix: string): StoreError {
  return new StoreError('invalid_spec', `Invalid fleet option ${name} ${JSON.stringify(value)}: ${fix}.`)
}

function checkRate(name: string, value: number | undefined): number {
  if (value === undefined) return 0
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw invalidOption(name, value, 'use a number from 0 to 1')
  }
  return value
}

function checkCount(name: string, value: number | undefined, max: number): number {
  if (value === undefined) return 0
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw invalidOption(name, value, `use a whole number from 0 to ${max}`)
  }
  return value
}

function weightsOf<K extends string>(
  name: string,
  requested: Partial<Record<K, number>> | undefined,
  defaults: ReadonlyArray<readonly [K, number]>,
): Array<readonly [K, number]> {
  if (requested === undefined) return [...defaults]
  const weights = defaults.map(([key]) => [key, requested[key] ?? 0] as const)
  for (const [key, weight] of weights) {
    if (typeof weight !== 'number' || !(weight >= 0)) {
      throw invalidOption(`${name}.${key}`, weight, 'use a weight of 0 or more')
    }
  }
  const unknown = Object.keys(requested).filter((key) => !defaults.some(([known]) => known === key))
  if (unknown.length > 0) {
    throw invalidOption(name, unknown[0], `use keys ${defaults.map(([key]) => key).join(', ')}`)
  }
  if (!weights.some(([, weight]) => weight > 0)) {
    throw invalidOption(name, requested, 'give at least one positive weight')
  }
  return weights
}

/**
 * Picks `count` distinct indexes below `size` that `used` does not contain,
 * and adds them to `used` so later picks avoid them.
 */
function pickIndexes(random: Random, size: number, count: number, used: Set<number>): Set<number> {
  const picked = new Set<number>()
  const target = Math.min(count, Math.max(0, size - used.size))
  while (picked.size < target) {
    const index = random.int(size)
    if (!used.has(index)) {
      picked.add(index)
      used.add(index)
    }
  }
  return picked
}

const letteredModels = new Map<readonly ModelEntry[], readonly ModelEntry[]>()

/** Returns the models whose serial format contains letters, or all of them when none does. */
function lettered(models: readonly ModelEntry[]): readonly ModelEntry[] {
  let found = letteredModels.get(models)
  if (found === undefined) {
    const withLetters = models.filter((model) => model.serial !== 'numeric')
    found = withLetters.length > 0 ? withLetters : models
    letteredModels.set(models, found)
  }
  return found
}

/** Store callbacks and settings the generator needs. */
export interface FleetContext extends Omit<BuildContext, 'random' | 'person'> {
  firstId: number
  seed: number
}

/**
 * Generates `options.count` device records. Planted duplicate serials count
 * as two records each: an older Unenrolled one and a newer Enrolled one with
 * the next id.
 */
export function generateFleet(options: FleetOptions, context: FleetContext): Device[] {
  if (options === null || typeof options !== 'object') {
    throw invalidOption('options', options, 'give an object with at least count')
  }
  const count = checkCount('count', options.count, MAX_FLEET_SIZE)
  const seed = options.seed ?? context.seed
  if (!Number.isInteger(seed)) throw invalidOption('seed', seed, 'use a whole number')
  const platforms = weightsOf('platforms', options.platforms, DEFAULT_PLATFORMS)
  const ownership = weightsOf('ownership', options.ownership, DEFAULT_OWNERSHIP)
  const unenrolledRate = checkRate('unenrolledRate', options.unenrolledRate)
  const spread = options.lastSeenSpreadMs ?? 7 * DAY_MS
  if (typeof spread !== 'number' || !(spread >= 0)) {
    throw invalidOption('lastSeenSpreadMs', spread, 'use milliseconds, 0 or more')
  }
  const policySpecs = options.policies ?? DEFAULT_POLICIES
  if (!Array.isArray(policySpecs)) throw invalidOption('policies', policySpecs, 'use a list of {name, failureRate}')
  const policies = policySpecs.map((policy, index) => {
    if (policy === null || typeof policy !== 'object' || typeof policy.name !== 'string' || policy.name === '') {
      throw invalidOption(`policies[${index}]`, policy, 'give each policy a non-empty name')
    }
    return {
      name: policy.name,
      failureRate: checkRate(`policies[${index}].failureRate`, policy.failureRate),
      pendingRate: checkRate(`policies[${index}].pendingRate`, policy.pendingRate),
      reference: context.policy(policy.name),
    }
  })
  const prefix = options.serialPrefix
  if (prefix !== undefined && typeof prefix !== 'string') {
    throw invalidOption('serialPrefix', prefix, 'use a string such as FAKE')
  }
  const quirks = options.quirks ?? {}
  const duplicates = checkCount('quirks.duplicateSerials', quirks.duplicateSerials, Math.floor(count / 2))
  const physical = count - duplicates
  const quirkRandom = new Random(mixSeed(seed, 0x717569))
  const serialQuirkIndexes = new Set<number>()
  const duplicateAt = pickIndexes(quirkRandom, physical, duplicates, new Set())
  const whitespaceCount = checkCount('quirks.whitespaceSerials', quirks.whitespaceSerials, physical)
  const caseCount = checkCount('quirks.caseVariantSerials', quirks.caseVariantSerials, physical)
  const placeholderCount = checkCount('quirks.placeholderSerials', quirks.placeholderSerials, physical)
  const neverEvaluatedCount = checkCount('quirks.neverEvaluated', quirks.neverEvaluated, physical)
  // The serial quirks go to distinct devices, so each planted serial shows one quirk.
  const whitespaceAt = pickIndexes(quirkRandom, physical, whitespaceCount, serialQuirkIndexes)
  const caseAt = pickIndexes(quirkRandom, physical, caseCount, serialQuirkIndexes)
  const placeholderAt = pickIndexes(quirkRandom, physical, placeholderCount, serialQuirkIndexes)
  const neverEvaluatedAt = pickIndexes(quirkRandom, physical, neverEvaluatedCount, new Set())

  const random = new Random(mixSeed(seed, 0x666c6565))
  const buildContext: BuildContext = { ...context, random, person: personSource(seed), attributeCache: new Map() }
  const padWidth = Math.max(5, String(physical).length)
  const devices: Device[] = []
  let nextId = context.firstId

  for (let index = 0; index < physical; index++) {
    const platformKey = random.weighted(platforms)
    const profile = PLATFORM_PROFILES[platformKey]
    // A lower-case variant needs letters, so those devices skip digit-only serial formats.
    const model = random.pick(caseAt.has(index) ? lettered(profile.models) : profile.models)
    let serial =
      prefix === undefined ? makeSerial(model.serial, random) : `${prefix}${String(index + 1).padStart(padWidth, '0')}`
    if (whitespaceAt.has(index)) serial = random.chance(0.7) ? `${serial} ` : ` ${serial}`
    if (caseAt.has(index)) serial = serial.toLowerCase()
    if (placeholderAt.has(index)) serial = random.pick(PLACEHOLDER_SERIALS)
    const spec = {
      serialNumber: serial,
      platform: profile.platform as Ws1Platform,
      model: model.name,
      ownership: random.weighted(ownership),
      enrollmentStatus: random.chance(unenrolledRate) ? ('Unenrolled' as const) : ('Enrolled' as const),
    }

    if (duplicateAt.has(index)) {
      // The stale record of the same hardware: enrolled earlier, then left behind.
      const stale = buildDraft({ ...spec, enrollmentStatus: 'Unenrolled' }, nextId, random.uuid(), buildContext)
      nextId += 1
      stale.lastSeen = context.now - spread - random.range(1, 90) * DAY_MS
      stale.enrolledOn = stale.lastSeen - random.range(30, 400) * DAY_MS
      stale.compromisedCheckOn = stale.enrolledOn + 30_000
      stale.policies = drawPolicies(policies, random, stale.lastSeen, false)
      devices.push(finishDevice(stale, context.unenrolled))
    }

    const draft = buildDraft(spec, nextId, random.uuid(), buildContext)
    nextId += 1
    draft.lastSeen = context.now - Math.floor(random.next() * spread)
    draft.enrolledOn = draft.lastSeen - random.range(1, 365) * DAY_MS - random.int(DAY_MS)
    draft.compromisedCheckOn = draft.enrolledOn + random.range(5, 60) * 1000
    if (neverEvaluatedAt.has(index)) {
      draft.policies = []
      draft.evaluated = false
    } else {
      draft.policies = drawPolicies(policies, random, draft.lastSeen, true)
    }
    const compromisedPolicy = draft.policies.find((policy) => policy.name === 'Compromised Status')
    draft.compromised = compromisedPolicy !== undefined && !compromisedPolicy.compliant
    // A few real records carry no CompromisedStatus key at all.
    if (!draft.compromised && random.chance(0.03)) draft.compromised = null
    devices.push(finishDevice(draft, context.unenrolled))
  }
  return devices
}

/** One fleet policy with its rates and the store's id for it. */
interface PolicyPlan {
  name: string
  failureRate: number
  pendingRate: number
  reference: { id: number; uuid: string }
}

function drawPolicies(
  policies: readonly PolicyPlan[],
  random: Random,
  lastSeen: number,
  current: boolean,
): DevicePolicy[] {
  return policies.map((policy) => {
    const failing = random.chance(current ? policy.failureRate : Math.max(policy.failureRate, 0.3))
    const pending = !failing && random.chance(policy.pendingRate)
    return {
      id: policy.reference.id,
      uuid: policy.reference.uuid,
      name: policy.name,
      detail: policy.name,
      compliant: !failing,
      pending,
      lastCheck: lastSeen - random.int(HOUR_MS),
      nextCheck: NEVER_MS,
      actions: failing ? DEFAULT_FAILURE_ACTIONS : NO_ACTIONS,
    }
  })
}
