/** Markdown pieces of BENCHMARKS.md and the contract every measure fulfils. */
import type { Logger } from 'pino'

/** Settings shared by every measure in one bench invocation. */
export interface MeasureContext {
  /** Reduced smoke-check mode: one run each, shorter durations. */
  quick: boolean
  /** Runs per measure whose median is reported. */
  runs: number
  logger: Logger
  /** Repository root (the folder with package.json). */
  repoRoot: string
  /** Compiled bench folder (dist/bench), where worker scripts live. */
  benchDist: string
  /** Scratch folder for this invocation, removed at the end. */
  workDir: string
}

/** A target a measure checks, with whether the median met it. */
export interface TargetCheck {
  measure: string
  target: string
  observed: string
  met: boolean
}

export interface MeasureReport {
  /** Markdown body of the measure's section, without its heading. */
  markdown: string
  targets: TargetCheck[]
}

export interface Measure {
  /** Name accepted by `--only`. */
  id: string
  title: string
  run(context: MeasureContext): Promise<MeasureReport>
}

/** Renders a Markdown table. Cells must not contain newlines. */
export function table(header: string[], rows: string[][]): string {
  const escape = (cell: string): string => cell.replace(/\|/g, '\\|')
  const lines = [
    `| ${header.map(escape).join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.map(escape).join(' | ')} |`),
  ]
  return lines.join('\n')
}

export function metLabel(met: boolean): string {
  return met ? 'met' : '**missed**'
}

export function formatMiB(bytes: number): string {
  return (bytes / 1024 ** 2).toFixed(0)
}
