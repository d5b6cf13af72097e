/**
 * Date handling for the emulator. Internally every time is epoch milliseconds
 * (UTC). "Never" is the epoch of 0001-01-01T00:00:00Z (`NEVER_MS`), so it
 * formats as Workspace ONE's own never value and sorts before every real date,
 * and null is left for "key absent". On the wire v1/v2 search and v1 Device
 * bodies use `YYYY-MM-DDTHH:mm:ss.fff` with no zone, meaning UTC; v2
 * get-by-uuid adds a trailing `Z`.
 */

/** The value Workspace ONE sends for a date that was never set. */
export const NEVER = '0001-01-01T00:00:00.000'

/** Epoch ms of 0001-01-01T00:00:00Z, the internal "never". */
export const NEVER_MS = -62135596800000

/** Workspace ONE also sends this shorter form of "never" in some objects. */
const NEVER_SHORT = '0001-01-01T00:00:00'

/** Formats epoch ms as `YYYY-MM-DDTHH:mm:ss.fff` in UTC with no zone. `NEVER_MS` gives the never value. */
export function formatWs1Date(ms: number): string {
  // toISOString always gives UTC with three-digit milliseconds and a four-digit
  // year for years 0 to 9999, so dropping its "Z" leaves the Workspace ONE form.
  return new Date(ms).toISOString().slice(0, 23)
}

/** Formats epoch ms as `YYYY-MM-DDTHH:mm:ss.fffZ`, the v2 get-by-uuid form. */
export function formatIsoZ(ms: number): string {
  return `${formatWs1Date(ms)}Z`
}

const ISO_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/

/**
 * Parses an ISO 8601 date or date-time into epoch ms. A value without a zone
 * is UTC, as Workspace ONE means it. Both never forms give `NEVER_MS`.
 * Returns undefined when the text is not a valid date.
 */
export function parseIsoDate(value: string): number | undefined {
  const text = value.trim()
  if (text === NEVER || text === NEVER_SHORT || text.startsWith('0001-01-01')) return NEVER_MS
  const match = ISO_PATTERN.exec(text)
  if (!match) return undefined
  const [, year, month, day, hour, minute, second, fraction, zone] = match
  const millis = fraction === undefined ? 0 : Math.floor(Number(`0.${fraction}`) * 1000 + 1e-6)
  const utc = buildUtc(
    Number(year),
    Number(month),
    Number(day),
    Number(hour ?? 0),
    Number(minute ?? 0),
    Number(second ?? 0),
    millis,
  )
  if (utc === undefined) return undefined
  return utc - zoneOffsetMs(zone)
}

function zoneOffsetMs(zone: string | undefined): number {
  if (zone === undefined || zone === 'Z') return 0
  const sign = zone.startsWith('-') ? -1 : 1
  const digits = zone.slice(1).replace(':', '')
  const hours = Number(digits.slice(0, 2))
  const minutes = Number(digits.slice(2, 4))
  return sign * (hours * 60 + minutes) * 60_000
}

/** Builds UTC epoch ms from calendar fields, or undefined when a field is out of range. */
function buildUtc(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  millis: number,
): number | undefined {
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined
  if (hour > 23 || minute > 59 || second > 59) return undefined
  // setUTCFullYear, unlike Date.UTC, does not read years 0-99 as 1900-1999.
  const date = new Date(0)
  date.setUTCFullYear(year, month - 1, day)
  date.setUTCHours(hour, minute, second, millis)
  // Dates such as 31 February roll over into March, so they are rejected.
  if (date.getUTCDate() !== day || date.getUTCMonth() !== month - 1) return undefined
  return date.getTime()
}

// The date formats the v1 search documentation lists for `lastseen` and
// `seensince`. `tt` is AM or PM, and with it the hour is read on a 12-hour clock.
const YEAR_FIRST =
  /^(\d{4})[/-](\d{1,2})[/-](\d{1,2})(?:[T ](\d{1,2})([:-])(\d{1,2})\5(\d{1,2})(?:\.(\d{1,3})|-(AM|PM))?)?$/i
const MONTH_FIRST =
  /^(\d{1,2})[/-](\d{1,2})[/-](\d{4})(?:[T ](\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,3}))?)?$/

/**
 * Parses a search date in one of the formats Workspace ONE accepts
 * (`yyyy/MM/dd`, `yyyy-MM-dd`, `MM/dd/yyyy`, `MM-dd-yyyy`, each optionally with
 * ` HH:mm:ss.fff` or `THH:mm:ss.fff`, and `yyyy-MM-dd HH-mm-ss-tt`) as UTC.
 * Full ISO 8601 with a zone is accepted too. Returns undefined when invalid.
 */
export function parseSearchDate(value: string): number | undefined {
  const text = value.trim()
  const yearFirst = YEAR_FIRST.exec(text)
  if (yearFirst) {
    const [, year, month, day, hour, separator, minute, second, fraction, meridiem] = yearFirst
    // The `HH-mm-ss-tt` form is the only one with dashes in the time part.
    if (separator === '-' && meridiem === undefined) return undefined
    if (separator === ':' && meridiem !== undefined) return undefined
    let hours = Number(hour ?? 0)
    if (meridiem !== undefined) {
      if (hours < 1 || hours > 12) return undefined
      hours = (hours % 12) + (meridiem.toUpperCase() === 'PM' ? 12 : 0)
    }
    return buildUtc(
      Number(year),
      Number(month),
      Number(day),
      hours,
      Number(minute ?? 0),
      Number(second ?? 0),
      fraction === undefined ? 0 : Number(fraction.padEnd(3, '0')),
    )
  }
  const monthFirst = MONTH_FIRST.exec(text)
  if (monthFirst) {
    const [, month, day, year, hour, minute, second, fraction] = monthFirst
    return buildUtc(
      Number(year),
      Number(month),
      Number(day),
      Number(hour ?? 0),
      Number(minute ?? 0),
      Number(second ?? 0),
      fraction === undefined ? 0 : Number(fraction.padEnd(3, '0')),
    )
  }
  const iso = parseIsoDate(text)
  return iso === NEVER_MS ? undefined : iso
}
