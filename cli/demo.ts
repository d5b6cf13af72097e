import { readdirSync } from 'node:fs'
import path from 'node:path'
import { loadScenarioFiles, runScenario, type LoadedScenario, type RunEvent } from '../harness'
import { ExitCode } from './errors'
import { createPalette, formatOffset, wrapText } from './format'
import { colorEnabled, type CliIo } from './io'
import { runLiveDemo } from './live'
import { scenariosDir } from './paths'
import { displayPath, loadOneScenario } from './scenario'
import { summarize, tellStory } from './story'
import { formatVerdictTable } from './verdicts'

/** Flags of `ws1sim demo`. */
export interface DemoOptions {
  live?: boolean
  scenario?: string
  interval?: string
  logLevel: string
}

// Bundled files tried in order for the default story. demo-story.yaml is
// written for it: the usual matching cases, two flag flips with the delay
// until Access and Gateway see them, and a throttled page.
const PREFERRED_DEMO_FILES = [/^demo-story\.ya?ml$/, /flag-flip/, /latency/, /flip/, /^basic-flags\.ya?ml$/]

/** Finds the bundled scenario file the demo runs by default. */
export function defaultDemoFile(dir: string = scenariosDir()): string {
  const files = readdirSync(dir)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
  for (const pattern of PREFERRED_DEMO_FILES) {
    const found = files.find((name) => pattern.test(name))
    if (found !== undefined) return path.join(dir, found)
  }
  const first = files[0]
  if (first === undefined) throw new Error(`no bundled scenario in ${dir}`)
  return path.join(dir, first)
}

/**
 * Picks the scenario of a file that makes the best story: the first with a
 * latency expectation, else the first with a timeline, else the first.
 */
export function pickStoryScenario(scenarios: LoadedScenario[]): LoadedScenario | undefined {
  return (
    scenarios.find((scenario) => (scenario.spec.expect?.latency?.length ?? 0) > 0) ??
    scenarios.find((scenario) => (scenario.spec.timeline?.length ?? 0) > 0) ??
    scenarios[0]
  )
}

// On a terminal the story is printed line by line within this budget, so a
// reader can follow it; elsewhere it is printed at once.
const PACING_BUDGET_MS = 1500
const PACING_MAX_LINE_MS = 40

async function printPaced(lines: string[], io: CliIo): Promise<void> {
  const paced = io.stdout.isTTY
  const delay = paced ? Math.min(PACING_MAX_LINE_MS, PACING_BUDGET_MS / Math.max(1, lines.length)) : 0
  for (const line of lines) {
    io.stdout.write(`${line}\n`)
    if (delay > 0 && !io.shutdown.aborted) await new Promise((resolve) => setTimeout(resolve, delay))
  }
}

/** Runs `ws1sim demo`; returns 0 when the scenario's expectations held, 1 otherwise. */
export async function runDemo(options: DemoOptions, io: CliIo): Promise<number> {
  const file = options.scenario ?? defaultDemoFile()
  const scenario =
    options.scenario === undefined
      ? await loadStoryScenario(file, io)
      : await loadOneScenario(options.scenario, io)
  if (options.live) return runLiveDemo(scenario, options, io)

  const palette = createPalette(colorEnabled(io, io.stdout))
  const events: RunEvent[] = []
  const report = await runScenario(scenario, {
    logger: io.createLogger(options.logLevel),
    onEvent: (event) => events.push(event),
  })

  const intro = [
    palette.bold(`ws1sim demo: ${scenario.name}`),
    palette.dim(`  scenario ${displayPath(scenario.file, io)}, run on a virtual clock`),
  ]
  if (scenario.spec.description !== undefined) {
    intro.push(...wrapText(scenario.spec.description, 92).map((line) => `  ${line}`))
  }
  intro.push(
    '',
    `  A Workspace ONE emulator and a Cloudflare-style posture checker talk over HTTP on 127.0.0.1.`,
    `  Times are offsets from the scenario start (${formatOffset(0)}); each poll fetches a token when needed,`,
    `  pages through /API/mdm/devices/search and matches devices by serial number.`,
    '',
  )

  const story = tellStory(events, palette)
  const lines = [...intro, ...story.lines]
  const lastVerdicts = [...events].reverse().find((event) => event.type === 'verdicts')
  if (story.changes.length > 0 && lastVerdicts?.type === 'verdicts') {
    lines.push('', palette.bold(`Verdicts after poll ${lastVerdicts.poll}`))
    lines.push(...formatVerdictTable(lastVerdicts.results, palette).trimEnd().split('\n').map((line) => `  ${line}`))
  }
  lines.push(...summarize(report, story, palette))
  lines.push(
    '',
    palette.dim('Next: `ws1sim run` checks every bundled scenario; `ws1sim demo --live` keeps the emulator up.'),
  )
  await printPaced(lines, io)
  return report.passed ? ExitCode.ok : ExitCode.failed
}

async function loadStoryScenario(file: string, io: CliIo): Promise<LoadedScenario> {
  const { scenarios } = await loadScenarioFiles([file])
  return pickStoryScenario(scenarios) ?? loadOneScenario(file, io)
}
