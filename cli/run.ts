import { closeSync, openSync, writeSync } from 'node:fs'
import path from 'node:path'
import { loadScenarioFiles, reporters, runScenarios, selectShard, type LoadedScenario, type RunEvent, type RunReport } from '../harness'
import { toNdjson } from '../posture-checker'
import { ExitCode, ShutdownRequest, UsageError, errorMessage, signalExitCode } from './errors'
import { checkOutputFile, writeOutputFile } from './files'
import { formatProgress, plural } from './format'
import { colorEnabled, type CliIo } from './io'
import type { Shard } from './options'
import { scenariosDir } from './paths'
import { displayPath, formatErrorForDisplay, resolveScenarioPaths } from './scenario'

/** Flags of `ws1sim run`. */
export interface RunOptions {
  reporter: 'console' | 'json' | 'junit'
  out?: string
  results?: string
  shard?: Shard
  grep?: string
}

// A progress bar is only worth drawing when several scenarios run.
const PROGRESS_MIN_SCENARIOS = 3

/** Runs `ws1sim run` and returns 0 when every expectation held, 1 when some failed, 2 on invalid input, 130 or 143 when stopped by SIGINT or SIGTERM. */
export async function runScenariosCommand(paths: string[], options: RunOptions, io: CliIo): Promise<number> {
  const inputs = paths.length > 0 ? resolveScenarioPaths(paths, io) : [scenariosDir()]
  const { scenarios, errors } = await loadScenarioFiles(inputs)
  if (errors.length > 0) {
    for (const error of errors) io.stderr.write(`${formatErrorForDisplay(error, io)}\n`)
    io.stderr.write(`${plural(errors.length, 'error')}, so no scenario was run.\n`)
    return ExitCode.usage
  }
  if (scenarios.length === 0) {
    io.stderr.write(`no scenarios found in ${inputs.join(' ')}. Name scenario files *.yaml or *.yml.\n`)
    return ExitCode.usage
  }

  if (options.grep !== undefined) {
    const needle = options.grep.toLowerCase()
    if (!scenarios.some((scenario) => scenario.name.toLowerCase().includes(needle))) {
      io.stderr.write(`no scenario name contains "${options.grep}". Check --grep against the names in the files.\n`)
      return ExitCode.usage
    }
  }

  if (options.out !== undefined) await checkOutputFile(options.out, io.cwd, 'report file')
  if (options.results !== undefined) await checkOutputFile(options.results, io.cwd, 'results file')

  const showProgress = io.stderr.isTTY && scenarios.length >= PROGRESS_MIN_SCENARIOS
  const resultsWriter = options.results === undefined ? undefined : new ResultsFileWriter(options.results, io)
  const progress = showProgress
    ? (done: number, total: number) => {
        io.stderr.write(`\r${formatProgress(done, total)}`)
        if (done === total) io.stderr.write('\n')
      }
    : undefined
  let report: RunReport
  try {
    report = await runScenarios(scenarios, {
      signal: io.shutdown,
      ...(resultsWriter === undefined ? {} : { onEvent: (event: RunEvent) => resultsWriter.onEvent(event) }),
      ...(options.shard === undefined ? {} : { shard: options.shard }),
      ...(options.grep === undefined ? {} : { grep: options.grep }),
      ...(progress === undefined ? {} : { onProgress: progress }),
    })
  } finally {
    resultsWriter?.close()
  }

  // Reports name files relative to the working directory or the package, so
  // their bytes do not depend on where the repository is checked out.
  const shown: RunReport = {
    ...report,
    scenarios: report.scenarios.map((scenario) => ({ ...scenario, file: displayPath(scenario.file, io) })),
  }
  const text = formatReport(shown, options, io)
  if (options.out === undefined) io.stdout.write(text)
  else await writeOutputFile(options.out, io.cwd, text, 'report file')
  resultsWriter?.throwIfFailed()
  if (io.shutdown.aborted) return reportShutdown(io, report.total, selectedCount(scenarios, options))
  return report.failed > 0 ? ExitCode.failed : ExitCode.ok
}

/**
 * Writes how far the run got after SIGINT or SIGTERM and returns 130 or 143,
 * the status of a process stopped by that signal.
 */
function reportShutdown(io: CliIo, ran: number, selected: number): number {
  const reason: unknown = io.shutdown.reason
  const signal = reason instanceof ShutdownRequest ? reason.signal : 'SIGINT'
  io.stderr.write(
    `stopped by ${signal} after ${ran} of ${plural(selected, 'scenario')}; the report covers only those.\n`,
  )
  return signalExitCode(signal)
}

function selectedCount(scenarios: LoadedScenario[], options: RunOptions): number {
  let selected = options.shard === undefined ? scenarios : selectShard(scenarios, options.shard.index, options.shard.total)
  if (options.grep !== undefined) {
    const needle = options.grep.toLowerCase()
    selected = selected.filter((scenario) => scenario.name.toLowerCase().includes(needle))
  }
  return selected.length
}

function formatReport(report: RunReport, options: RunOptions, io: CliIo): string {
  switch (options.reporter) {
    case 'json':
      return reporters.json(report)
    case 'junit':
      return reporters.junit(report)
    case 'console':
      return reporters.console(report, {
        color: options.out === undefined && colorEnabled(io, io.stdout),
      })
  }
}

/**
 * Writes each poll's posture results to the `--results` file as the poll
 * ends, one JSON object a line, so a long run over a large fleet never keeps
 * them all. The lines are those of reporters.resultsNdjson, in run order.
 */
class ResultsFileWriter {
  readonly #file: string
  readonly #io: CliIo
  #descriptor: number | undefined
  #source: { scenario: string; scenarioFile: string } | undefined
  #failure: unknown

  constructor(file: string, io: CliIo) {
    this.#file = file
    this.#io = io
    try {
      this.#descriptor = openSync(path.resolve(io.cwd, file), 'w')
    } catch (error) {
      throw new UsageError(`cannot write results file ${file}: ${errorMessage(error)}`)
    }
  }

  onEvent(event: RunEvent): void {
    if (event.type === 'scenario-start') this.#source = { scenario: event.name, scenarioFile: displayPath(event.file, this.#io) }
    if (event.type !== 'verdicts' || this.#descriptor === undefined || this.#failure !== undefined) return
    try {
      writeSync(this.#descriptor, toNdjson(event.results, this.#source))
    } catch (error) {
      // Keep running: the report still matters, and the failure is reported after the run.
      this.#failure = error
    }
  }

  close(): void {
    if (this.#descriptor === undefined) return
    try {
      closeSync(this.#descriptor)
    } catch (error) {
      this.#failure ??= error
    }
    this.#descriptor = undefined
  }

  /** Throws a usage error naming the file when a write failed during the run. */
  throwIfFailed(): void {
    if (this.#failure !== undefined) throw new UsageError(`cannot write results file ${this.#file}: ${errorMessage(this.#failure)}`)
  }
}
