/**
 * Matching Cloudflare devices to Workspace ONE records by serial number.
 * Serials are compared after trim, Unicode NFC and upper-casing; Cloudflare
 * does not document its own normalisation, so this is our choice.
 */
import type { Ws1Record } from './records'
import type { CloudflareDevice, CloudflarePlatform } from './types'

/** Serials that firmware reports when the vendor never set one; they never identify a device. */
const PLACEHOLDER_SERIALS = new Set([
  'TO BE FILLED BY O.E.M.',
  'DEFAULT STRING',
  'SYSTEM SERIAL NUMBER',
  'SERIAL NUMBER',
  'CHASSIS SERIAL NUMBER',
  'NOT SPECIFIED',
  'NONE',
  'N/A',
  '123456789',
  '0',
  '',
])

/** Workspace ONE platform names that correspond to each Cloudflare platform. */
export const WS1_PLATFORMS: Record<CloudflarePlatform, readonly string[]> = {
  windows: ['WinRT', 'WindowsPc'],
  mac: ['AppleOsX'],
  linux: ['Linux'],
  ios: ['Apple'],
  android: ['Android'],
  chromeos: ['ChromeBook'],
}

export function normaliseSerial(serial: string): string {
  return serial.trim().normalize('NFC').toUpperCase()
}

/** True for a normalised serial that is a firmware placeholder or all zeros. */
export function isPlaceholderSerial(normalised: string): boolean {
  return PLACEHOLDER_SERIALS.has(normalised) || /^0+$/.test(normalised)
}

export type MatchResult =
  | { kind: 'no_serial' }
  | { kind: 'placeholder'; serial: string }
  | { kind: 'not_found' }
  | { kind: 'single'; record: Ws1Record; ignored: Ws1Record[] }
  | { kind: 'ambiguous'; candidates: Ws1Record[] }

export type DuplicateSerialPolicy = 'unknown' | 'prefer-enrolled'

/** Workspace ONE records grouped by normalised serial, without blank or placeholder serials. */
export class SerialIndex {
  private readonly bySerial = new Map<string, Ws1Record[]>()

  constructor(records: Iterable<Ws1Record>) {
    for (const record of records) {
      const key = normaliseSerial(record.serialNumber)
      if (isPlaceholderSerial(key)) continue
      const list = this.bySerial.get(key)
      if (list === undefined) this.bySerial.set(key, [record])
      else list.push(record)
    }
  }

  lookup(normalisedSerial: string): Ws1Record[] {
    return this.bySerial.get(normalisedSerial) ?? []
  }
}

/** Classifies the Cloudflare device's serial before any lookup. */
export function classifySerial(
  device: CloudflareDevice,
): { kind: 'no_serial' } | { kind: 'placeholder'; serial: string } | { kind: 'usable'; normalised: string } {
  const raw = device.serial_number
  if (raw === null || raw === undefined || raw.trim() === '') return { kind: 'no_serial' }
  const normalised = normaliseSerial(raw)
  if (isPlaceholderSerial(normalised)) return { kind: 'placeholder', serial: raw }
  return { kind: 'usable', normalised }
}

export function isEnrolled(record: Ws1Record): boolean {
  return record.enrollmentStatus !== null && record.enrollmentStatus.toUpperCase() === 'ENROLLED'
}

/**
 * Picks the record for a device from the records sharing its serial. Several
 * records are ambiguous; with 'prefer-enrolled', records that are not
 * Enrolled are ignored first and a single remaining one wins.
 */
export function resolveCandidates(candidates: Ws1Record[], policy: DuplicateSerialPolicy): MatchResult {
  const [first] = candidates
  if (first === undefined) return { kind: 'not_found' }
  if (candidates.length === 1) return { kind: 'single', record: first, ignored: [] }
  if (policy === 'prefer-enrolled') {
    const enrolled = candidates.filter(isEnrolled)
    const [only] = enrolled
    if (enrolled.length === 1 && only !== undefined) {
      return { kind: 'single', record: only, ignored: candidates.filter((record) => record !== only) }
    }
  }
  return { kind: 'ambiguous', candidates }
}

/** Matches a device against an index built from a full sync. */
export function matchDevice(device: CloudflareDevice, index: SerialIndex, policy: DuplicateSerialPolicy): MatchResult {
  const serial = classifySerial(device)
  if (serial.kind !== 'usable') return serial
  return resolveCandidates(index.lookup(serial.normalised), policy)
}
