import { ConfigError } from './errors'

const UNIT_MS: Record<string, number> = {
  d: 86_400_000,
  h: 3_600_000,
  m: 60_000,
  s: 1_000,
}

const DURATION_PATTERN = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/

/**
 * Parses a duration such as `10m`, `1h`, `30s`, `7d` or `2h30m` into
 * milliseconds. Units must appear in the order d, h, m, s. Cloudflare's own
 * fields document only `m` and `h`; `d` and `s` are accepted for our options.
 * Throws ConfigError naming `key` and the expected form.
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
  const [, days, hours, minutes, seconds] = match
  let total = 0
  for (const [value, unit] of [
    [days, 'd'],
    [hours, 'h'],
    [minutes, 'm'],
    [seconds, 's'],
  ] as const) {
    if (value !== undefined) total += Number(value) * (UNIT_MS[unit] ?? 0)
  }
  return total
}
