/** Summary statistics over repeated benchmark runs. */

export interface Summary {
  median: number
  min: number
  max: number
  runs: number
}

/** Summarises the values of repeated runs. Throws when there are none. */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) {
    throw new Error('Cannot summarise zero runs: every measure needs at least one run.')
  }

  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  const upper = sorted[middle] as number
  const median = sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] as number) + upper) / 2

  return {
    median,
    min: sorted[0] as number,
    max: sorted[sorted.length - 1] as number,
    runs: sorted.length,
  }
}

/** Formats a number with a fixed count of significant decimals for tables. */
export function formatNumber(value: number, decimals = 0): string {
  if (!Number.isFinite(value)) {
    return 'n/a'
  }
  return value.toLocaleString('en-US', {
    minimumFractionDigits: decimals,
    maximumFractionDigits: decimals,
  })
}

/** Formats a summary as "median (min–max)", or the bare value for a single run. */
export function formatSummary(summary: Summary, decimals = 0): string {
  const median = formatNumber(summary.median, decimals)
  if (summary.runs === 1) {
    return median
  }
  return `${median} (${formatNumber(summary.min, decimals)}–${formatNumber(summary.max, decimals)})`
}
