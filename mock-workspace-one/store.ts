/**
 * In-memory device store of one tenant. Devices are kept in an array ordered
 * by id, so a lookup by id is a binary search and a default search page is a
 * slice, never a sort. Every other lookup (uuid, udid, serial, MAC, IMEI,
 * EAS id) goes through a hash index.
 * Stored devices are immutable: a change replaces the object and bumps
 * `version`, which the render caches key on.
 */
import type { Clock, DeviceSelector, DeviceSpec, FleetOptions } from './types'
import {
  StoreError,
  deriveCompliance,
  type Device,
  type EntityReference,
  type UnenrolledCompliance,
} from './device'
import { NEVER_MS } from './dates'
import { buildDevice, draftOf, finishDevice, patchDevice, type BuildContext } from './generator-device'
import { generateFleet, personSource } from './generator'
import { Random, mixSeed } from './generator-random'
import { devicesFromExport, reviveDevice } from './import'

export { StoreError } from './device'

export type SearchBy = 'Serialnumber' | 'Udid' | 'Macaddress' | 'ImeiNumber' | 'DeviceId' | 'EasId'

export type DuplicateSerialLookup = 'oldest-id' | 'newest-id' | 'enrolled-first'

/**
 * Serial comparison of `searchby=Serialnumber`. 'collation' compares as SQL
 * Server's default collation does, ignoring case and trailing spaces.
 * 'exact' compares the stored string as it is.
 */
export type SerialLookupMatch = 'collation' | 'exact'

export interface StoreOptions {
  clock: Clock
  seed: number
  /** The tenant's root organization group. */
  group: { id: number; name: string; uuid: string }
  /**
   * Tie-break of single-object lookups when several records share the value,
   * typically a serial after re-enrolment. Real tenants do not document it.
   * Default 'oldest-id'.
   */
  duplicateSerialLookup?: DuplicateSerialLookup
  /**
   * Serial comparison of `searchby=Serialnumber` lookups. Default
   * 'collation'. NOTE: an estimate from the SQL Server database behind
   * Workspace ONE, because the real comparison is not documented.
   */
  serialLookupMatch?: SerialLookupMatch
  /**
   * ComplianceStatus of devices that are not Enrolled. Default 'keep': the
   * record keeps its last evaluated status, which is what an unenrolled
   * record left behind after re-enrolment shows in real fleets.
   * 'NotAvailable' was seen only in old event-notification payloads.
   */
  unenrolledCompliance?: UnenrolledCompliance
}

/** Index from a key to one device, or to several when records share the key. */
class MultiIndex {
  private readonly entries = new Map<string, Device | Device[]>()

  add(key: string, device: Device): void {
    if (key === '') return
    const current = this.entries.get(key)
    if (current === undefined) this.entries.set(key, device)
    else if (Array.isArray(current)) current.push(device)
    else this.entries.set(key, [current, device])
  }

  remove(key: string, device: Device): void {
    const current = this.entries.get(key)
    if (current === undefined) return
    if (!Array.isArray(current)) {
      if (current === device) this.entries.delete(key)
      return
    }
    const rest = current.filter((entry) => entry !== device)
    if (rest.length === 0) this.entries.delete(key)
    else if (rest.length === 1) this.entries.set(key, rest[0] as Device)
    else this.entries.set(key, rest)
  }

  get(key: string): readonly Device[] {
    const current = this.entries.get(key)
    if (current === undefined) return []
    return Array.isArray(current) ? current : [current]
  }

  clear(): void {
    this.entries.clear()
  }
}

function macKey(value: string): string {
  return value.replace(/[:.-]/g, '').toUpperCase()
}

type IndexKind = 'uuid' | 'serial' | 'serialCollated' | 'udid' | 'mac' | 'imei' | 'easId'

/** Key of a serial compared case-insensitively and without trailing spaces, as SQL Server's `=` does. */
function collatedSerialKey(serial: string): string {
  return serial.replace(/ +$/, '').toUpperCase()
}

/** The keys each index files a device under. Uuid, Udid and MAC keys ignore case. */
const INDEX_KEYS: Readonly<Record<IndexKind, (device: Device) => readonly string[]>> = {
  uuid: (device) => [device.uuid.toLowerCase()],
  serial: (device) => [device.serialNumber],
  serialCollated: (device) => [collatedSerialKey(device.serialNumber)],
  udid: (device) => [device.udid.toUpperCase()],
  mac: (device) => (device.macAddress === null ? [] : [macKey(device.macAddress)]),
  imei: (device) => (device.imei === null ? [] : [device.imei]),
  easId: (device) => {
    const keys = new Set<string>(device.attributes.easIds ?? [])
    if (device.attributes.easId !== null) keys.add(device.attributes.easId)
    return [...keys]
  },
}

function compareIds(a: Device, b: Device): number {
  return a.id - b.id
}

const SNAPSHOT_FORMAT = 'ws1sim-device-store'

export class DeviceStore {
  private readonly clock: Clock
  private readonly seed: number
  private readonly rootGroup: EntityReference
  private readonly duplicateLookup: DuplicateSerialLookup
  private readonly serialMatch: SerialLookupMatch
  private readonly unenrolled: UnenrolledCompliance
  private currentVersion = 0
  /**
   * All devices, ordered by id. Imports that repeat an id keep their import
   * order, and lookups by id binary-search this array.
   */
  private ordered: Device[] = []
  /**
   * Hash indexes, each built on its first use and kept up to date after that,
   * so generating a large fleet does not pay for indexes that no lookup reads.
   */
  private readonly indexes = new Map<IndexKind, MultiIndex>()
  private readonly groups = new Map<string, EntityReference>()
  private readonly policies = new Map<string, { id: number; uuid: string }>()
  private addCounter = 0

  constructor(options: StoreOptions) {
    if (!Number.isInteger(options.seed)) {
      throw new StoreError('invalid_spec', `Invalid store seed ${String(options.seed)}: use a whole number.`)
    }
    this.clock = options.clock
    this.seed = options.seed
    this.rootGroup = { ...options.group }
    this.duplicateLookup = options.duplicateSerialLookup ?? 'oldest-id'
    this.serialMatch = options.serialLookupMatch ?? 'collation'
    this.unenrolled = options.unenrolledCompliance ?? 'keep'
    this.groups.set(this.rootGroup.name, this.rootGroup)
  }

  /** Change counter: it increases on every change. */
  get version(): number {
    return this.currentVersion
  }

  /** The tenant's root organization group. */
  get group(): EntityReference {
    return this.rootGroup
  }

  /** Returns every device in id order. The array is replaced, never changed, when the fleet changes. */
  devices(): readonly Device[] {
    return this.ordered
  }

  add(spec: DeviceSpec): Device {
    if (spec === null || typeof spec !== 'object') {
      throw new StoreError('invalid_spec', `Invalid device spec ${JSON.stringify(spec)}: give an object with at least serialNumber.`)
    }
    const id = spec.id ?? this.nextId()
    if (!Number.isInteger(id) || id <= 0) {
      throw new StoreError('invalid_spec', `Invalid device id ${JSON.stringify(id)}: use a positive whole number.`)
    }
    if (this.findById(id) !== undefined) {
      throw new StoreError('conflict', `Device id ${id} already exists: leave id out to get the next free id.`)
    }
    const random = new Random(mixSeed(this.seed, id, this.addCounter))
    const uuid = spec.uuid ?? random.uuid()
    if (typeof uuid !== 'string' || uuid === '') {
      throw new StoreError('invalid_spec', `Invalid device uuid ${JSON.stringify(uuid)}: use a GUID string.`)
    }
    if (this.index('uuid').get(uuid.toLowerCase()).length > 0) {
      throw new StoreError('conflict', `Device uuid ${uuid} already exists: leave uuid out to get a new one.`)
    }
    const device = buildDevice(spec, id, uuid, this.buildContext(random))
    this.addCounter += 1
    this.insert(device)
    this.touch()
    return device
  }

  update(selector: DeviceSelector, patch: Partial<DeviceSpec>): Device {
    const current = this.require(selector)
    const next = patchDevice(current, patch, this.buildContext(new Random(this.seed)))
    this.replace(current, next)
    return next
  }

  remove(selector: DeviceSelector): void {
    const device = this.require(selector)
    this.removeFromIndexes(device)
    const at = this.position(device)
    const next = this.ordered.slice()
    next.splice(at, 1)
    this.ordered = next
    this.touch()
  }

  /** Sets one policy's result, adding the policy when the device lacks it. */
  setPolicy(
    selector: DeviceSelector,
    policyName: string,
    result: { compliant?: boolean; pending?: boolean },
  ): Device {
    if (typeof policyName !== 'string' || policyName === '') {
      throw new StoreError('invalid_spec', `Invalid policy name ${JSON.stringify(policyName)}: use a non-empty string.`)
    }
    if (result === null || typeof result !== 'object') {
      throw new StoreError('invalid_spec', `Invalid policy result ${JSON.stringify(result)}: use {compliant, pending}.`)
    }
    for (const key of ['compliant', 'pending'] as const) {
      const value = result[key]
      if (value !== undefined && typeof value !== 'boolean') {
        throw new StoreError('invalid_spec', `Invalid policy ${key} ${JSON.stringify(value)}: use true or false.`)
      }
    }
    const current = this.require(selector)
    const now = this.clock.now()
    const draft = draftOf(current)
    const existing = current.policies.find((policy) => policy.name === policyName)
    const reference = existing ?? { ...this.policyReference(policyName), name: policyName, detail: policyName, nextCheck: NEVER_MS }
    const compliant = result.compliant ?? existing?.compliant ?? true
    const updated = {
      id: reference.id,
      uuid: reference.uuid,
      name: policyName,
      detail: reference.detail,
      compliant,
      pending: result.pending ?? false,
      lastCheck: now,
      nextCheck: reference.nextCheck,
      actions: compliant ? [] : [1],
    }
    draft.policies = existing === undefined
      ? [...current.policies, updated]
      : current.policies.map((policy) => (policy === existing ? updated : policy))
    draft.evaluated = true
    draft.complianceOverride = null
    const next = finishDevice(draft, this.unenrolled)
    this.replace(current, next)
    return next
  }

  /** Marks a device Unenrolled and keeps its record. */
  unenroll(selector: DeviceSelector): Device {
    const current = this.require(selector)
    const draft = draftOf(current)
    draft.enrollmentStatus = 'Unenrolled'
    const next = finishDevice(draft, this.unenrolled)
    this.replace(current, next)
    return next
  }

  /**
   * Re-enrols a device: the old record stays as Unenrolled and a new record
   * with the next id and a new uuid takes its serial, enrolled now.
   */
  reenroll(selector: DeviceSelector, patch?: Partial<DeviceSpec>): Device {
    const old = this.unenroll(selector)
    const now = this.clock.now()
    const id = this.nextId()
    const random = new Random(mixSeed(this.seed, id, this.addCounter))
    this.addCounter += 1
    const draft = { ...draftOf(old), id, uuid: random.uuid() }
    draft.enrollmentStatus = 'Enrolled'
    draft.enrolledOn = now
    draft.lastSeen = now
    draft.compromisedCheckOn = now
    draft.policies = old.policies.map((policy) => ({ ...policy, lastCheck: now }))
    draft.complianceOverride = null
    let fresh = finishDevice(draft, this.unenrolled)
    if (patch !== undefined) fresh = patchDevice(fresh, patch, this.buildContext(random))
    this.insert(fresh)
    this.touch()
    return fresh
  }

  get(selector: DeviceSelector): Device | undefined {
    if (selector === null || typeof selector !== 'object') return undefined
    if ('id' in selector) return typeof selector.id === 'number' ? this.findById(selector.id) : undefined
    if ('uuid' in selector) {
      return typeof selector.uuid === 'string' ? this.index('uuid').get(selector.uuid.toLowerCase())[0] : undefined
    }
    if ('serialNumber' in selector) return this.pick(this.index('serial').get(selector.serialNumber))
    return undefined
  }

  /** Returns every record whose serial equals `serial` exactly, without trimming or case folding. */
  findBySerial(serial: string): Device[] {
    return [...this.index('serial').get(serial)]
  }

  /**
   * Finds one device as `GET /devices?searchby=` does. When several records
   * match, `duplicateSerialLookup` picks one. Serials compare by
   * `serialLookupMatch`, IMEI and EAS id exactly, and Udid and MAC ignore
   * case (and MAC separators).
   */
  lookup(by: SearchBy, value: string): Device | undefined {
    switch (by) {
      case 'Serialnumber':
        if (this.serialMatch === 'exact') return this.pick(this.index('serial').get(value))
        return this.pick(this.index('serialCollated').get(collatedSerialKey(value)))
      case 'Udid':
        return this.pick(this.index('udid').get(value.toUpperCase()))
      case 'Macaddress':
        return this.pick(this.index('mac').get(macKey(value)))
      case 'ImeiNumber':
        return this.pick(this.index('imei').get(value.trim()))
      case 'EasId':
        return this.pick(this.index('easId').get(value))
      case 'DeviceId': {
        if (!/^\d+$/.test(value.trim())) return undefined
        return this.findById(Number(value.trim()))
      }
    }
  }

  /** Appends a seeded fleet and returns how many records were added. */
  generate(options: FleetOptions): number {
    const firstId = options?.firstId ?? this.nextId()
    if (!Number.isInteger(firstId) || firstId <= 0) {
      throw new StoreError('invalid_spec', `Invalid fleet option firstId ${JSON.stringify(firstId)}: use a positive whole number.`)
    }
    const devices = generateFleet(options, {
      now: this.clock.now(),
      seed: this.seed,
      firstId,
      unenrolled: this.unenrolled,
      group: (name) => this.groupFor(name),
      policy: (name) => this.policyReference(name),
    })
    for (const device of devices) {
      if (this.findById(device.id) !== undefined) {
        throw new StoreError(
          'conflict',
          `Fleet id ${device.id} already exists: set firstId above ${this.maxId()} or leave it out.`,
        )
      }
    }
    this.insertMany(devices)
    return devices.length
  }

  /**
   * Imports the devices of a v1/v2 `/devices/search` JSON body (`{Devices:[...]}`)
   * or of the XSOAR context shape (`{VMwareWorkspaceONEUEM:{Device:[...]}}`).
   * Ids, uuids, serials, statuses, policies and dates are kept. Returns the count.
   */
  importSearchExport(body: unknown): number {
    const devices = devicesFromExport(body, {
      unenrolled: this.unenrolled,
      rootGroup: this.rootGroup,
      registerGroup: (group) => this.registerGroup(group),
    })
    const seen = new Set<string>()
    for (const device of devices) {
      const key = device.uuid.toLowerCase()
      if (this.index('uuid').get(key).length > 0 || seen.has(key)) {
        throw new StoreError('conflict', `Imported device uuid ${device.uuid} already exists: import each record once.`)
      }
      seen.add(key)
    }
    this.insertMany(devices)
    return devices.length
  }

  count(): number {
    return this.ordered.length
  }

  clear(): void {
    this.ordered = []
    this.indexes.clear()
    this.touch()
  }

  /** Returns a snapshot of every device and the store's counters as JSON-compatible data. */
  toJSON(): unknown {
    return {
      format: SNAPSHOT_FORMAT,
      addCounter: this.addCounter,
      groups: [...this.groups.values()],
      policies: [...this.policies.entries()].map(([name, reference]) => ({ name, ...reference })),
      devices: this.ordered,
    }
  }

  /** Rebuilds a store from `toJSON()` output. */
  static fromJSON(data: unknown, options: StoreOptions): DeviceStore {
    const store = new DeviceStore(options)
    if (data === null || typeof data !== 'object' || (data as { format?: unknown }).format !== SNAPSHOT_FORMAT) {
      throw new StoreError('invalid_spec', `Invalid store snapshot: expected an object with format "${SNAPSHOT_FORMAT}" from DeviceStore.toJSON().`)
    }
    const snapshot = data as { addCounter?: unknown; groups?: unknown; policies?: unknown; devices?: unknown }
    if (!Array.isArray(snapshot.devices)) {
      throw new StoreError('invalid_spec', 'Invalid store snapshot: "devices" must be a list.')
    }
    if (Array.isArray(snapshot.groups)) {
      for (const group of snapshot.groups as EntityReference[]) store.registerGroup(group)
    }
    if (Array.isArray(snapshot.policies)) {
      for (const entry of snapshot.policies as Array<{ name: string; id: number; uuid: string }>) {
        store.policies.set(entry.name, { id: entry.id, uuid: entry.uuid })
      }
    }
    store.addCounter = typeof snapshot.addCounter === 'number' ? snapshot.addCounter : 0
    const devices = (snapshot.devices as unknown[]).map((entry, index) => {
      const revived = reviveDevice(entry, index)
      const derived = deriveCompliance(revived, store.unenrolled)
      return { ...revived, complianceStatus: derived.status, lastComplianceCheckOn: derived.lastCheck }
    })
    store.insertMany(devices)
    return store
  }

  private buildContext(random: Random): BuildContext {
    return {
      now: this.clock.now(),
      random,
      unenrolled: this.unenrolled,
      group: (name) => this.groupFor(name),
      policy: (name) => this.policyReference(name),
      person: personSource(this.seed),
    }
  }

  private touch(): void {
    this.currentVersion += 1
  }

  private maxId(): number {
    const last = this.ordered[this.ordered.length - 1]
    return last === undefined ? 0 : last.id
  }

  private nextId(): number {
    return Math.max(this.maxId(), 1000) + 1
  }

  private require(selector: DeviceSelector): Device {
    const device = this.get(selector)
    if (device === undefined) {
      throw new StoreError('not_found', `Device not found for selector ${JSON.stringify(selector)}: check the id, uuid or exact serial.`)
    }
    return device
  }

  /** Chooses one record among several that share a lookup value. */
  private pick(candidates: readonly Device[]): Device | undefined {
    if (candidates.length <= 1) return candidates[0]
    const sorted = [...candidates].sort(compareIds)
    switch (this.duplicateLookup) {
      case 'oldest-id':
        return sorted[0]
      case 'newest-id':
        return sorted[sorted.length - 1]
      case 'enrolled-first':
        return sorted.find((device) => device.enrollmentStatus === 'Enrolled') ?? sorted[0]
    }
  }

  private groupFor(name: string | undefined): EntityReference {
    if (name === undefined || name === this.rootGroup.name) return this.rootGroup
    const existing = this.groups.get(name)
    if (existing !== undefined) return existing
    const random = new Random(mixSeed(this.seed, this.groups.size, 0x6f67))
    const group = { id: this.rootGroup.id + this.groups.size, name, uuid: random.uuid() }
    this.groups.set(name, group)
    return group
  }

  private registerGroup(group: EntityReference): void {
    if (!this.groups.has(group.name)) this.groups.set(group.name, { ...group })
  }

  private policyReference(name: string): { id: number; uuid: string } {
    const existing = this.policies.get(name)
    if (existing !== undefined) return existing
    const random = new Random(mixSeed(this.seed, this.policies.size, 0x706f6c))
    const reference = { id: 90 + this.policies.size, uuid: random.uuid() }
    this.policies.set(name, reference)
    return reference
  }

  /** Returns the hash index of one kind, building it from the fleet on first use. */
  private index(kind: IndexKind): MultiIndex {
    let index = this.indexes.get(kind)
    if (index === undefined) {
      index = new MultiIndex()
      const keysOf = INDEX_KEYS[kind]
      for (const device of this.ordered) for (const key of keysOf(device)) index.add(key, device)
      this.indexes.set(kind, index)
    }
    return index
  }

  private addToIndexes(device: Device): void {
    for (const [kind, index] of this.indexes) for (const key of INDEX_KEYS[kind](device)) index.add(key, device)
  }

  private removeFromIndexes(device: Device): void {
    for (const [kind, index] of this.indexes) for (const key of INDEX_KEYS[kind](device)) index.remove(key, device)
  }

  /** Returns the first record with this id (imports may repeat an id), found by binary search. */
  private findById(id: number): Device | undefined {
    const at = this.lowerBound(id)
    const device = this.ordered[at]
    return device !== undefined && device.id === id ? device : undefined
  }

  /** Returns the index of the first record whose id is not below `id`. */
  private lowerBound(id: number): number {
    let low = 0
    let high = this.ordered.length
    while (low < high) {
      const middle = (low + high) >> 1
      if ((this.ordered[middle] as Device).id < id) low = middle + 1
      else high = middle
    }
    return low
  }

  /** Returns the index of `device` in `ordered` by a binary search on id, then a scan over records sharing it. */
  private position(device: Device): number {
    for (let at = this.lowerBound(device.id); at < this.ordered.length; at++) {
      const entry = this.ordered[at] as Device
      if (entry.id !== device.id) break
      if (entry === device) return at
    }
    throw new StoreError('not_found', `Device ${device.id} (${device.uuid}) is not in the store.`)
  }

  /** Returns where a device belongs in `ordered`: after every record with a lower or equal id. */
  private insertionPoint(device: Device): number {
    let low = 0
    let high = this.ordered.length
    while (low < high) {
      const middle = (low + high) >> 1
      if ((this.ordered[middle] as Device).id <= device.id) low = middle + 1
      else high = middle
    }
    return low
  }

  private insert(device: Device): void {
    const at = this.insertionPoint(device)
    const next = this.ordered.slice()
    next.splice(at, 0, device)
    this.ordered = next
    this.addToIndexes(device)
  }

  /** Inserts many devices at once. It appends, and sorts only when ids are not already increasing. */
  private insertMany(devices: readonly Device[]): void {
    if (devices.length === 0) return
    const next = this.ordered.concat(devices)
    let sorted = true
    for (let i = Math.max(1, this.ordered.length); i < next.length; i++) {
      if (compareIds(next[i - 1] as Device, next[i] as Device) > 0) {
        sorted = false
        break
      }
    }
    // Array.prototype.sort is stable, so records sharing an id keep their order.
    if (!sorted) next.sort(compareIds)
    this.ordered = next
    for (const device of devices) this.addToIndexes(device)
    this.touch()
  }

  private replace(current: Device, next: Device): void {
    const at = this.position(current)
    this.removeFromIndexes(current)
    const ordered = this.ordered.slice()
    ordered[at] = next
    this.ordered = ordered
    this.addToIndexes(next)
    this.touch()
  }
}
