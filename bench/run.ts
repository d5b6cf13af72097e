/**
 * Entry of `npm run bench`: runs the benchmark measures and writes
 * BENCHMARKS.md at the repository root. A script, never a jest test.
 *
 *   node dist/bench/run.js [--quick] [--only NAME[,NAME]] [--runs N] [--out FILE]
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Command, InvalidArgumentError } from 'commander'
import pino from 'pino'
import { checkerMeasure } from './measures/checker'
import { fleetMeasure } from './measures/fleet'
import { httpMeasure } from './measures/http'
import { jestMeasure } from './measures/jest'
import { scenarioMeasure } from './measures/scenario'
import { describeMachine, type MachineInfo } from './lib/machine'
import { canPin } from './lib/proc'
import { metLabel, table, type Measure, type MeasureContext, type TargetCheck } from './lib/report'

const MEASURES: Measure[] = [httpMeasure, fleetMeasure, scenarioMeasure, checkerMeasure, jestMeasure]

interface CliOptions {
  quick: boolean
  only?: string[]
  runs?: number
  out?: string
}

function parseRuns(value: string): number {
  const runs = Number(value)
  if (!Number.isInteger(runs) || runs < 1 || runs > 20) {
    throw new InvalidArgumentError(`Invalid run count "${value}": use a whole number from 1 to 20.`)
  }
  return runs
}

function parseOnly(value: string): string[] {
  const names = value.split(',').map((name) => name.trim()).filter((name) => name.length > 0)
  const known = MEASURES.map((measure) => measure.id)
  for (const name of names) {
    if (!known.includes(name)) {
      throw new InvalidArgumentError(`Unknown measure "${name}": use one of ${known.join(', ')}.`)
    }
  }
  return names
}

function parseArguments(argv: string[]): CliOptions {
  const program = new Command()
    .name('bench')
    .description('Runs the benchmark measures and writes their results as Markdown.')
    .option('--quick', 'reduced smoke check: one run per measure and shorter load runs', false)
    .option('--only <names>', `comma-separated measures to run (${MEASURES.map((measure) => measure.id).join(', ')}), default all`, parseOnly)
    .option('--runs <count>', 'runs per measure whose median is reported (default 3, or 1 with --quick)', parseRuns)
    .option('--out <file>', 'Markdown file to write (default BENCHMARKS.md, or .bench-cache/BENCHMARKS.quick.md with --quick)')
    .allowExcessArguments(false)
    // Usage errors exit with 2, like every ws1sim command. Help exits with 0.
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2))
  program.parse(argv)
  return program.opts<CliOptions>()
}

const SECTION_START = (id: string): string => `<!-- bench:${id}:start -->`
const SECTION_END = (id: string): string => `<!-- bench:${id}:end -->`
const TARGETS_PREFIX = '<!-- bench:targets '

/** Id of the hand-written analysis block, which the bench keeps as it is when it rewrites the file. */
const ANALYSIS_ID = 'analysis'

/**
 * Reads the marked blocks of an earlier BENCHMARKS.md: the measure sections,
 * so `--only` can keep the others, and the hand-written analysis.
 */
function readSections(file: string): Map<string, string> {
  const sections = new Map<string, string>()
  if (!existsSync(file)) {
    return sections
  }
  const text = readFileSync(file, 'utf8')
  for (const id of [...MEASURES.map((measure) => measure.id), ANALYSIS_ID]) {
    const start = text.indexOf(SECTION_START(id))
    const end = text.indexOf(SECTION_END(id))
    if (start >= 0 && end > start) {
      sections.set(id, text.slice(start, end + SECTION_END(id).length))
    }
  }
  return sections
}

function targetsOf(section: string): TargetCheck[] {
  const line = section.split('\n').find((candidate) => candidate.startsWith(TARGETS_PREFIX))
  if (line === undefined) {
    return []
  }
  return JSON.parse(line.slice(TARGETS_PREFIX.length, line.length - ' -->'.length)) as TargetCheck[]
}

function renderSection(measure: Measure, body: string, targets: TargetCheck[], startedAt: Date, loadAverage: number, quick: boolean): string {
  return [
    SECTION_START(measure.id),
    `## ${measure.title}`,
    '',
    `Run ${startedAt.toISOString()} by \`node dist/bench/run.js${quick ? ' --quick' : ''}\`, one-minute load average ${loadAverage.toFixed(2)} at the start. Measure name for \`--only\`: \`${measure.id}\`.`,
    '',
    body,
    '',
    `${TARGETS_PREFIX}${JSON.stringify(targets)} -->`,
    SECTION_END(measure.id),
  ].join('\n')
}

/** Returns the short commit id of HEAD and whether the work tree has changes, or null outside git. */
function describeCommit(repoRoot: string): string | null {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' })
  if (head.status !== 0) {
    return null
  }
  const status = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: repoRoot, encoding: 'utf8' })
  const dirty = status.status === 0 && status.stdout.trim() !== ''
  return `${head.stdout.trim()}${dirty ? ' plus uncommitted changes' : ''}`
}

function renderMachine(machine: MachineInfo, commit: string | null): string {
  return table(
    ['property', 'value'],
    [
      ['CPU', `${machine.cpuModel}, ${machine.cores} cores`],
      ['memory', `${machine.memoryGiB.toFixed(1)} GiB`],
      ['Node.js', machine.nodeVersion],
      ['OS', machine.os],
      ['Java (WireMock)', machine.javaVersion ?? 'not installed'],
      ['pinning', canPin() ? 'taskset: servers on core 0, load generators on core 1' : 'none (taskset missing or fewer than 2 cores)'],
      ['code measured', commit === null ? 'unknown (not a git checkout)' : `commit ${commit}, as built into dist/ when the run started`],
    ],
  )
}

function renderDocument(machine: MachineInfo, commit: string | null, sections: Map<string, string>): string {
  const targets = MEASURES.flatMap((measure) => {
    const section = sections.get(measure.id)
    return section === undefined ? [] : targetsOf(section)
  })
  const summary =
    targets.length === 0
      ? 'No targets were checked.'
      : table(
          ['measure', 'target', 'observed (median)', 'result'],
          targets.map((check) => [check.measure, check.target, check.observed, metLabel(check.met)]),
        )

  return [
    '# Benchmarks',
    '',
    'Written by `npm run bench` (the TypeScript in `bench/`). Every load goes to servers the bench starts itself on 127.0.0.1, with bounded durations.',
    '`node dist/bench/run.js --only NAME` reruns one measure and replaces only its section. `--quick` is a one-run smoke check written to `.bench-cache/` by default.',
    'Figures are medians of repeated runs with (min–max). Other work on the machine during a run skews them; each section gives the load average at its start.',
    '',
    '## Machine',
    '',
    renderMachine(machine, commit),
    '',
    '## Targets',
    '',
    summary,
    '',
    ...(sections.has(ANALYSIS_ID) ? [sections.get(ANALYSIS_ID) as string, ''] : []),
    ...MEASURES.flatMap((measure) => {
      const section = sections.get(measure.id)
      return section === undefined ? [] : [section, '']
    }),
  ].join('\n')
}

/** Finds the repository root: the nearest folder above the compiled bench with package.json and tsconfig.json. */
function findRepoRoot(start: string): string {
  let folder = start
  while (!(existsSync(path.join(folder, 'package.json')) && existsSync(path.join(folder, 'tsconfig.json')))) {
    const parent = path.dirname(folder)
    if (parent === folder) {
      throw new Error(`No folder above ${start} contains package.json and tsconfig.json. Run the bench from the built repository.`)
    }
    folder = parent
  }
  return folder
}

async function main(): Promise<void> {
  const options = parseArguments(process.argv)
  const logger = pino({ level: 'info', base: null }, pino.destination(2))
  const repoRoot = findRepoRoot(__dirname)
  const outFile = path.resolve(repoRoot, options.out ?? (options.quick ? '.bench-cache/BENCHMARKS.quick.md' : 'BENCHMARKS.md'))
  const selected = MEASURES.filter((measure) => options.only === undefined || options.only.includes(measure.id))
  const machine = describeMachine()
  const commit = describeCommit(repoRoot)

  const workDir = mkdtempSync(path.join(os.tmpdir(), 'ws1sim-bench-'))
  const context: MeasureContext = {
    quick: options.quick,
    runs: options.runs ?? (options.quick ? 1 : 3),
    logger,
    repoRoot,
    benchDist: __dirname,
    workDir,
  }

  const sections = readSections(outFile)
  let failed = 0
  try {
    for (const measure of selected) {
      const startedAt = new Date()
      const loadAverage = os.loadavg()[0] ?? 0
      logger.info({ measure: measure.id, runs: context.runs, quick: context.quick }, 'measure started')
      try {
        const report = await measure.run(context)
        sections.set(measure.id, renderSection(measure, report.markdown, report.targets, startedAt, loadAverage, context.quick))
        logger.info({ measure: measure.id, seconds: Math.round((Date.now() - startedAt.getTime()) / 1000) }, 'measure finished')
      } catch (error) {
        failed += 1
        const message = error instanceof Error ? error.message : String(error)
        logger.error({ measure: measure.id, err: message }, 'measure failed')
        sections.set(measure.id, renderSection(measure, `The measure failed: ${message}`, [], startedAt, loadAverage, context.quick))
      }
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true })
  }

  mkdirSync(path.dirname(outFile), { recursive: true })
  writeFileSync(outFile, renderDocument(machine, commit, sections))
  logger.info({ file: outFile, failedMeasures: failed }, 'benchmark report written')
  if (failed > 0) {
    process.exitCode = 1
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exitCode = 1
})
