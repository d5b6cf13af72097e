/**
 * Scenario durations use the checker's grammar: integers with the units d, h,
 * m, s and ms, in that order, such as `30s`, `90m`, `2h30m`, `1d` or `250ms`.
 */
import { ConfigError } from '../posture-checker/errors'
import { parseDuration } from '../posture-checker/duration'

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
}

/**
 * Pattern used by the JSON Schema, so editors flag a bad duration too. It
 * matches the texts that parseDurationMs reads (at least one unit, units in
 * the order d, h, m, s, ms) except that it allows no surrounding spaces and
 * no size limit.
 */
export const DURATION_PATTERN = '^(?=[0-9])([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?$'

/** Converts a duration such as `90m` or `2h30m` to milliseconds; returns undefined when it is invalid. */
export function parseDurationMs(text: string): number | undefined {
  try {
    return parseDuration(text)
  } catch (error) {
    if (error instanceof ConfigError) return undefined
    throw error
  }
}

/** Like parseDurationMs but throws a message naming the value and the accepted format. */
export function requireDurationMs(text: string, key: string): number {
  const ms = parseDurationMs(text)
  if (ms === undefined) {
    throw new Error(`invalid duration ${JSON.stringify(text)} for ${key}: use integers with units in the order d, h, m, s, ms, such as 30s, 90m, 2h30m or 1d`)
  }
  return ms
}

/** Formats milliseconds as the shortest exact duration, such as `1h30m` or `45s`. */
export function formatDurationMs(ms: number): string {
  if (ms === 0) return '0s'
  const parts: string[] = []
  let rest = ms
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNIT_MS[unit] ?? 1
    const count = Math.floor(rest / size)
    if (count > 0) {
      parts.push(`${count}${unit}`)
      rest -= count * size
    }
  }
  if (rest > 0) parts.push(`${rest}ms`)
  return parts.join('')
}
