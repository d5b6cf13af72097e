/**
 * Scenario durations: an integer followed by a unit, such as `30s`, `90m`,
 * `2h` or `1d`. `ms` is accepted for short fault delays.
 */
const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
}

/** Pattern used by the JSON Schema, so editors flag a bad duration too. */
export const DURATION_PATTERN = '^[0-9]+(ms|s|m|h|d)$'

const DURATION_RE = new RegExp(DURATION_PATTERN)

/** Converts a duration such as `90m` to milliseconds; returns undefined when it is invalid. */
export function parseDurationMs(text: string): number | undefined {
  const match = DURATION_RE.exec(text.trim())
  if (!match || match[1] === undefined) return undefined
  const unit = UNIT_MS[match[1]]
  if (unit === undefined) return undefined
  return Number.parseInt(text, 10) * unit
}

/** Like parseDurationMs but throws a message naming the value and the accepted format. */
export function requireDurationMs(text: string, key: string): number {
  const ms = parseDurationMs(text)
  if (ms === undefined) {
    throw new Error(`invalid duration ${JSON.stringify(text)} for ${key}: use an integer and a unit, such as 30s, 90m, 2h or 1d`)
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
