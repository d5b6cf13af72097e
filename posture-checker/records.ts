/**
 * Tolerant reading of Workspace ONE v1/v2 device records. Real records leave
 * null keys out, use "" for absent strings, send dates without a time zone
 * and use `0001-01-01T00:00:00(.000)` for "never".
 */

/** One compliance policy result (`DeviceCompliance[]` entry). */
export interface ComplianceFlag {
  name: string
  /** `CompliantStatus`; null when the key is missing. */
  compliant: boolean | null
  pending: boolean
}

/** The fields of a Workspace ONE device record that matching and evaluation use. */
export interface Ws1Record {
  id: number | null
  uuid: string | null
  /** Serial exactly as Workspace ONE returned it ("" when absent). */
  serialNumber: string
  platform: string | null
  enrollmentStatus: string | null
  complianceStatus: string | null
  /**
   * `LastSeen` exactly as received. Only the last-seen age check reads it,
   * through parseWs1Date, so a poll without that check parses no dates.
   */
  lastSeenValue: unknown
  /** Policy results; null when the record has no ComplianceSummary or an empty list. */
  flags: ComplianceFlag[] | null
}

const NEVER_PATTERN = /^0001-01-01(?:[T ]00:00:00(?:\.0+)?)?Z?$/
const ISO_PATTERN = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i
const US_PATTERN = /^(\d{1,2})[/-](\d{1,2})[/-](\d{4})[ T](\d{1,2}):(\d{2})(?::(\d{2})(\.\d+)?)?(?:\s*([AP]M))?$/i

/**
 * Parses a Workspace ONE timestamp to epoch ms. Zone-less values are UTC, so
 * the result does not depend on the host's TZ. Returns null for absent,
 * empty, "never" or unreadable values.
 */
export function parseWs1Date(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null
  if (typeof value !== 'string') return null
  const text = value.trim()
  if (text === '' || NEVER_PATTERN.test(text)) return null
  const iso = ISO_PATTERN.exec(text)
  if (iso !== null) {
    const zone = iso[8] ?? 'Z'
    const [, year, month, day, hour, minute] = iso
    const seconds = iso[6] ?? '00'
    const fraction = (iso[7] ?? '.000').slice(0, 4).padEnd(4, '0')
    const parsed = Date.parse(`${year}-${month}-${day}T${hour}:${minute}:${seconds}${fraction}${normaliseZone(zone)}`)
    return Number.isNaN(parsed) ? null : parsed
  }
  const us = US_PATTERN.exec(text)
  if (us !== null) {
    const [, month, day, year, rawHour, minute] = us
    let hour = Number(rawHour)
    const meridiem = us[8]?.toUpperCase()
    if (meridiem === 'PM' && hour < 12) hour += 12
    if (meridiem === 'AM' && hour === 12) hour = 0
    const fractionMs = Math.round(Number(us[7] ?? '0') * 1000)
    return Date.UTC(Number(year), Number(month) - 1, Number(day), hour, Number(minute), Number(us[6] ?? '0'), fractionMs)
  }
  return null
}

function normaliseZone(zone: string): string {
  if (zone.toUpperCase() === 'Z') return 'Z'
  return zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined
}

function optionalString(value: unknown): string | null {
  if (typeof value === 'string') return value.trim() === '' ? null : value
  if (typeof value === 'number') return String(value)
  return null
}

function optionalBoolean(value: unknown): boolean | null {
  if (typeof value === 'boolean') return value
  if (typeof value === 'string') {
    if (/^true$/i.test(value.trim())) return true
    if (/^false$/i.test(value.trim())) return false
  }
  return null
}

/** Reads `{"Id":{"Value":n}}`, a bare number or a numeric string. */
function readId(value: unknown): number | null {
  const wrapped = asObject(value)
  const raw = wrapped !== undefined ? wrapped['Value'] : value
  const id = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw
  return typeof id === 'number' && Number.isFinite(id) ? id : null
}

/** Reads one DeviceCompliance entry; entries that are not objects are skipped by the caller. */
export function readFlag(entry: Record<string, unknown>, index: number): ComplianceFlag {
  const name = optionalString(entry['PolicyName']) ?? optionalString(entry['PolicyDetail']) ?? `policy #${index + 1}`
  return {
    name,
    compliant: optionalBoolean(entry['CompliantStatus']),
    pending: optionalBoolean(entry['CompliancePending']) === true,
  }
}

/** Reads a `DeviceCompliance` list; returns null when it is absent or empty. */
export function readFlags(list: unknown): ComplianceFlag[] | null {
  if (!Array.isArray(list)) return null
  const flags: ComplianceFlag[] = []
  list.forEach((entry, index) => {
    const object = asObject(entry)
    if (object !== undefined) flags.push(readFlag(object, index))
  })
  return flags.length === 0 ? null : flags
}

/**
 * Reads one v1/v2 device record. Returns undefined when the value is not an
 * object; every field inside is optional.
 */
export function readWs1Record(value: unknown): Ws1Record | undefined {
  const record = asObject(value)
  if (record === undefined) return undefined
  const summary = asObject(record['ComplianceSummary'])
  const platformObject = asObject(record['PlatformId'])
  return {
    id: readId(record['Id']),
    uuid: optionalString(record['Uuid']),
    serialNumber: typeof record['SerialNumber'] === 'string' ? record['SerialNumber'] : '',
    platform: optionalString(record['Platform']) ?? optionalString(platformObject?.['Name']),
    enrollmentStatus: optionalString(record['EnrollmentStatus']),
    complianceStatus: optionalString(record['ComplianceStatus']),
    lastSeenValue: record['LastSeen'],
    flags: summary === undefined ? null : readFlags(summary['DeviceCompliance']),
  }
}

/**
 * Key used to de-duplicate records across pages: the numeric id, else
 * `uuid:` and the lower-cased uuid. Numbers and strings never collide as Map keys.
 */
export function recordKey(record: Ws1Record): number | string | undefined {
  if (record.id !== null) return record.id
  if (record.uuid !== null) return `uuid:${record.uuid.toLowerCase()}`
  return undefined
}
