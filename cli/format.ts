/** ANSI styles of the console output. Each returns its input unchanged when colour is off. */
export interface Palette {
  bold(text: string): string
  dim(text: string): string
  red(text: string): string
  green(text: string): string
  yellow(text: string): string
  cyan(text: string): string
}

const ESC = '\u001b['

function style(open: number, close: number): (text: string) => string {
  return (text) => `${ESC}${open}m${text}${ESC}${close}m`
}

/** Returns the styles to use, plain when `enabled` is false. */
export function createPalette(enabled: boolean): Palette {
  if (!enabled) {
    const plain = (text: string): string => text
    return { bold: plain, dim: plain, red: plain, green: plain, yellow: plain, cyan: plain }
  }
  return {
    bold: style(1, 22),
    dim: style(2, 22),
    red: style(31, 39),
    green: style(32, 39),
    yellow: style(33, 39),
    cyan: style(36, 39),
  }
}

// Matches the SGR sequences createPalette emits, to measure what a terminal shows.
const SGR = /\u001b\[[0-9;]*m/g

/** Width of `text` on a terminal, ignoring colour sequences. */
export function visibleWidth(text: string): number {
  return text.replace(SGR, '').length
}

/**
 * Formats rows as a table with a header row and columns padded to the widest
 * cell. Cells may contain colour sequences.
 */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((cell) => visibleWidth(cell))
  for (const row of rows) {
    row.forEach((cell, column) => {
      widths[column] = Math.max(widths[column] ?? 0, visibleWidth(cell))
    })
  }
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) => {
        const isLast = column === cells.length - 1
        return isLast ? cell : cell + ' '.repeat((widths[column] ?? 0) - visibleWidth(cell))
      })
      .join('  ')
      .trimEnd()
  const rule = widths.map((width) => '-'.repeat(width)).join('  ')
  return [line(header), rule, ...rows.map(line)].join('\n') + '\n'
}

/** Formats a span of milliseconds as `+HH:MM:SS` (days as `+1d HH:MM:SS`), for virtual time offsets. */
export function formatOffset(ms: number): string {
  const totalSeconds = Math.floor(Math.max(0, ms) / 1000)
  const days = Math.floor(totalSeconds / 86400)
  const hours = Math.floor((totalSeconds % 86400) / 3600)
  const minutes = Math.floor((totalSeconds % 3600) / 60)
  const seconds = totalSeconds % 60
  const clock = [hours, minutes, seconds].map((part) => String(part).padStart(2, '0')).join(':')
  return days > 0 ? `+${days}d ${clock}` : `+${clock}`
}

/** Formats a span of milliseconds the short way people write it: `90s`, `5m`, `1h30m`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`
  const totalSeconds = Math.round(ms / 1000)
  const hours = Math.floor(totalSeconds / 3600)
  const minutes = Math.floor((totalSeconds % 3600) / 60)
  const seconds = totalSeconds % 60
  const parts: string[] = []
  if (hours > 0) parts.push(`${hours}h`)
  if (minutes > 0) parts.push(`${minutes}m`)
  if (seconds > 0 || parts.length === 0) parts.push(`${seconds}s`)
  return parts.join('')
}

/** Renders a one-line progress bar such as `[#####.....] 5/10`. */
export function formatProgress(done: number, total: number, width = 30): string {
  const ratio = total === 0 ? 1 : Math.min(1, done / total)
  const filled = Math.round(ratio * width)
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`
}

/** Wraps text at spaces into lines of at most `width` characters (longer words stay whole). */
export function wrapText(text: string, width: number): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(/\s+/).filter((part) => part !== '')) {
    if (line === '') line = word
    else if (line.length + 1 + word.length <= width) line += ` ${word}`
    else {
      lines.push(line)
      line = word
    }
  }
  if (line !== '') lines.push(line)
  return lines
}

/** Formats a count with its noun, adding "s" unless the count is 1: `1 page`, `3 pages`. */
export function plural(count: number, noun: string): string {
  return `${count} ${count === 1 ? noun : `${noun}s`}`
}
