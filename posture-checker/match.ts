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

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/

export function normaliseSerial(serial: string): string {
  const trimmed = serial.trim()
  // ASCII text is already in NFC, and most serials are ASCII, so the ICU call is skipped for them.
  return (PRINTABLE_ASCII.test(trimmed) ? trimmed : trimmed.normalize('NFC')).toUpperCase()
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

const NO_RECORDS: readonly Ws1Record[] = []

/** Workspace ONE records grouped by normalised serial, without blank or placeholder serials. */
export class SerialIndex {
  /** A serial's only record, or its records when several share it; most serials have one. */
  private readonly bySerial = new Map<string, Ws1Record | Ws1Record[]>()

  constructor(records: Iterable<Ws1Record>) {
    for (const record of records) {
      const key = normaliseSerial(record.serialNumber)
      if (isPlaceholderSerial(key)) continue
      const existing = this.bySerial.get(key)
      if (existing === undefined) this.bySerial.set(key, record)
      else if (Array.isArray(existing)) existing.push(record)
      else this.bySerial.set(key, [existing, record])
    }
  }

  lookup(normalisedSerial: string): readonly Ws1Record[] {
    const found = this.find(normalisedSerial)
    if (found === undefined) return NO_RECORDS
    return isRecordList(found) ? found : [found]
  }

  /** Returns the serial's only record, its records when several share it, or undefined. */
  find(normalisedSerial: string): Ws1Record | readonly Ws1Record[] | undefined {
    return this.bySerial.get(normalisedSerial)
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
export function resolveCandidates(candidates: readonly Ws1Record[], policy: DuplicateSerialPolicy): MatchResult {
  const first = candidates[0]
  if (first === undefined) return { kind: 'not_found' }
  if (candidates.length === 1) return { kind: 'single', record: first, ignored: [] }
  if (policy === 'prefer-enrolled') {
    const enrolled = candidates.filter(isEnrolled)
    const [only] = enrolled
    if (enrolled.length === 1 && only !== undefined) {
      return { kind: 'single', record: only, ignored: candidates.filter((record) => record !== only) }
    }
  }
  return { kind: 'ambiguous', candidates: [...candidates] }
}

/** Matches a device against an index built from a full sync. */
export function matchDevice(device: CloudflareDevice, index: SerialIndex, policy: DuplicateSerialPolicy): MatchResult {
  const serial = classifySerial(device)
  if (serial.kind !== 'usable') return serial
  const found = index.find(serial.normalised)
  if (found === undefined) return { kind: 'not_found' }
  if (isRecordList(found)) return resolveCandidates(found, policy)
  return { kind: 'single', record: found, ignored: [] }
}

function isRecordList(value: Ws1Record | readonly Ws1Record[]): value is readonly Ws1Record[] {
  return Array.isArray(value)
}
