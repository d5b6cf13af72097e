import { appendFile } from 'node:fs/promises'
import path from 'node:path'
import {
  PostureChecker,
  Poller,
  parseDuration,
  systemClock,
  toNdjson,
  validateCheckerConfig,
  type CheckerConfig,
  type PollOutcome,
  type PostureResult,
} from '../posture-checker'
import { ExitCode, UsageError, errorMessage } from './errors'
import { parseYamlOrJsonWithPositions, readInputFile, writeOutputFile } from './files'
import { createPalette, plural } from './format'
import { colorEnabled, waitForShutdown, type CliIo } from './io'
import {
  countResults,
  diffResults,
  formatChange,
  formatCounts,
  formatVerdictTable,
  indexResults,
} from './verdicts'

/** Flags of `ws1sim check`. */
export interface CheckOptions {
  config: string
  once?: boolean
  test?: boolean
  results?: string
  logLevel: string
}

/** Reads and validates a checker config file. The usage error lists every validation error. */
export async function loadCheckerConfig(file: string, io: CliIo): Promise<CheckerConfig> {
  const text = await readInputFile(file, io.cwd, 'config file')
  const { value: raw, locate } = parseYamlOrJsonWithPositions(text, file)
  const validation = validateCheckerConfig(raw, { env: io.env })
  if (!validation.ok) {
    throw new UsageError(
      `${file} is not a valid checker config.`,
      validation.errors.map((error) => `${file}:${locate(error.key)} ${error.key}: ${error.message}`),
    )
  }
  return validation.config
}

function describeOutcome(outcome: PollOutcome): string {
  const state = outcome.complete ? 'complete' : 'incomplete'
  const error = outcome.error ? `, ${outcome.error.kind} error: ${outcome.error.message}` : ''
  return (
    `poll ${outcome.poll} ${state}: ${plural(outcome.requests, 'request')}, ${plural(outcome.pages, 'page')}, ` +
    `${plural(outcome.ws1Records, 'Workspace ONE record')}${error}`
  )
}

/** Runs `ws1sim check` and returns the exit status. */
export async function runCheck(options: CheckOptions, io: CliIo): Promise<number> {
  if (options.once && options.test) {
    throw new UsageError('--once and --test cannot be combined. Use one of them.')
  }
  const config = await loadCheckerConfig(options.config, io)
  const logger = io.createLogger(options.logLevel)
  const checker = new PostureChecker(config, { clock: systemClock, logger })
  const palette = createPalette(colorEnabled(io, io.stdout))

  if (options.test) {
    const outcome = await checker.testConnection()
    if (outcome.ok) {
      io.stdout.write(`${palette.green('ok')}: ${outcome.message}\n`)
      return ExitCode.ok
    }
    const status = outcome.status === undefined ? '' : ` (HTTP ${outcome.status})`
    const code = outcome.code === undefined ? '' : ` [${outcome.code}]`
    io.stdout.write(`${palette.red('failed')} at step ${outcome.step}${status}${code}: ${outcome.message}\n`)
    return ExitCode.failed
  }

  if (options.once) {
    const outcome = await checker.poll()
    io.stdout.write(formatVerdictTable(outcome.results, palette))
    io.stdout.write(`\n${describeOutcome(outcome)}\n${formatCounts(countResults(outcome.results), palette)}\n`)
    if (options.results !== undefined) {
      await writeOutputFile(options.results, io.cwd, toNdjson(outcome.results), 'results file')
    }
    return outcome.complete && outcome.error === undefined ? ExitCode.ok : ExitCode.failed
  }

  return pollUntilShutdown(checker, config, options, io)
}

async function pollUntilShutdown(
  checker: PostureChecker,
  config: CheckerConfig,
  options: CheckOptions,
  io: CliIo,
): Promise<number> {
  const palette = createPalette(colorEnabled(io, io.stdout))
  let intervalMs: number
  try {
    intervalMs = parseDuration(config.integration.interval)
  } catch (error) {
    throw new UsageError(`integration.interval: ${errorMessage(error)}`)
  }
  const resultsFile = options.results === undefined ? undefined : path.resolve(io.cwd, options.results)
  if (resultsFile !== undefined) await writeOutputFile(resultsFile, io.cwd, '', 'results file')

  let previous = new Map<string, PostureResult>()
  // Poller calls onPoll synchronously, so chaining the appends keeps the file in poll order.
  let writes: Promise<void> = Promise.resolve()
  let writeError: unknown
  const poller = new Poller(checker, {
    clock: systemClock,
    intervalMs,
    onPoll: (outcome) => {
      const stamp = new Date(outcome.finishedAt).toISOString()
      io.stdout.write(`${palette.dim(stamp)} ${describeOutcome(outcome)}\n`)
      for (const change of diffResults(previous, outcome.results)) {
        io.stdout.write(`  ${formatChange(change, palette)}\n`)
      }
      io.stdout.write(`  ${formatCounts(countResults(outcome.results), palette)}\n`)
      previous = indexResults(outcome.results)
      if (resultsFile !== undefined) {
        writes = writes
          .then(() => appendFile(resultsFile, toNdjson(outcome.results), 'utf8'))
          .catch((error: unknown) => {
            writeError = error
          })
      }
    },
  })

  io.stderr.write(
    `polling ${config.integration.config.api_url} every ${config.integration.interval}; press Ctrl-C to stop\n`,
  )
  poller.start()
  await waitForShutdown(io.shutdown)
  await poller.stop()
  await writes
  if (writeError !== undefined) {
    throw new UsageError(`cannot write results file ${options.results ?? ''}: ${errorMessage(writeError)}`)
  }
  io.stderr.write('stopped\n')
  return ExitCode.ok
}
