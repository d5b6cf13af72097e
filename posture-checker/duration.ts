import { ConfigError } from './errors'

const UNIT_MS: Record<string, number> = {
  d: 86_400_000,
  h: 3_600_000,
  m: 60_000,
  s: 1_000,
  ms: 1,
}

const DURATION_PATTERN = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/

/**
 * Maximum `integration.interval` the checker accepts: 7 days. Cloudflare
 * documents no maximum, and its examples go up to `24h`. A week still polls a
 * tenant often enough to be useful and keeps every wait far below the 2^31-1 ms
 * (about 24.8 days) that one Node.js timer can hold.
 */
export const MAX_INTERVAL_MS = 7 * 86_400_000

/**
 * Minimum `integration.interval` the checker accepts: 1 second, so a typo
 * such as `1ms` cannot send thousands of searches a minute to a tenant.
 */
export const MIN_INTERVAL_MS = 1_000

/**
 * Maximum rule `expiration` the checker accepts: 30 days. Cloudflare
 * recommends an expiration of at least twice the polling interval, so this is
 * a little over twice MAX_INTERVAL_MS.
 */
export const MAX_EXPIRATION_MS = 30 * 86_400_000

/**
 * Parses a duration such as `10m`, `1h`, `30s`, `7d`, `250ms` or `2h30m` into
 * milliseconds. Units must appear in the order d, h, m, s, ms. Cloudflare's
 * own fields document only `m` and `h`. The other units serve our options and
 * scenario files, which share this grammar. Throws ConfigError naming `key`
 * and the expected form, also for a value too large to count exactly.
 */
export function parseDuration(text: string, key = 'duration'): number {
  const trimmed = typeof text === 'string' ? text.trim() : ''
  const match = DURATION_PATTERN.exec(trimmed)
  if (trimmed === '' || match === null) {
    throw new ConfigError(
      key,
      `${key}: invalid duration ${JSON.stringify(text)}; expected a number with a unit ` +
        'such as "30s", "10m", "1h", "7d" or "2h30m"',
    )
  }
  const [, days, hours, minutes, seconds, milliseconds] = match
  let total = 0
  for (const [value, unit] of [
    [days, 'd'],
    [hours, 'h'],
    [minutes, 'm'],
    [seconds, 's'],
    [milliseconds, 'ms'],
  ] as const) {
    if (value !== undefined) total += Number(value) * (UNIT_MS[unit] ?? 0)
  }
  if (!Number.isSafeInteger(total)) {
    throw new ConfigError(key, `${key}: duration ${JSON.stringify(text)} is too long to count in milliseconds; expected a shorter duration`)
  }
  return total
}
