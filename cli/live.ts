import {
  actionOf,
  applyTimelineStep,
  buildCheckerConfig,
  buildCloudflareDevices,
  buildScenarioCheckerOptions,
  parseDurationMs,
  startScenarioEmulator,
  type LoadedScenario,
  type StepTarget,
} from '../harness'
import { createSystemClock } from '../mock-workspace-one'
import type { RunningMockServer } from '../mock-workspace-one/types'
import {
  ConfigError,
  PostureChecker,
  Poller,
  parseDuration,
  systemClock,
  validateCheckerConfig,
  type CheckerConfig,
  type PostureResult,
} from '../posture-checker'
import type { DemoOptions } from './demo'
import { ExitCode, UsageError, errorMessage } from './errors'
import { createPalette, type Palette } from './format'
import { colorEnabled, waitForShutdown, type CliIo } from './io'
import { countResults, diffResults, formatChange, formatCounts, formatVerdictTable, indexResults } from './verdicts'

/**
 * Builds the checker config of a scenario for the live demo with the
 * harness's own translation: the integration, rules and Cloudflare devices,
 * including the mirrored fleet with its exceptions and overrides, pointed at
 * the running emulator. `interval` replaces the integration's interval.
 */
export function liveCheckerConfig(
  scenario: LoadedScenario,
  server: RunningMockServer,
  interval: string | undefined,
): CheckerConfig {
  const devices = buildCloudflareDevices(scenario.spec, server.tenant)
  const built = buildCheckerConfig(scenario.spec, server, devices)
  const config = interval === undefined ? built : { ...built, integration: { ...built.integration, interval } }
  // Validating the built object names any key the scenario got wrong, such as a duplicate device_id.
  const validation = validateCheckerConfig(config, { env: {} })
  if (!validation.ok) {
    throw new UsageError(
      `${scenario.file}: cannot build a live checker config from scenario "${scenario.name}".`,
      validation.errors.map((error) => `${error.key}: ${error.message}`),
    )
  }
  return validation.config
}

/** Builds the checker with the scenario's `checker` options on the real clock. */
function createLiveChecker(scenario: LoadedScenario, config: CheckerConfig, logger: ReturnType<CliIo['createLogger']>): PostureChecker {
  try {
    return new PostureChecker(config, { ...buildScenarioCheckerOptions(scenario.spec), clock: systemClock, logger })
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    throw new UsageError(`${scenario.file}: invalid checker option in scenario "${scenario.name}": ${error.message}`)
  }
}

/**
 * Schedules the scenario's timeline on real timers: each step applies once
 * its `at` has passed in wall time, counted from this call. Steps at 0 apply
 * at once, before the first poll. Returns a function that cancels the steps
 * not yet applied.
 */
function scheduleTimeline(target: StepTarget, io: CliIo, palette: Palette, logger: ReturnType<CliIo['createLogger']>): () => void {
  // systemClock.sleep chains timers, so a step weeks away cannot overflow
  // Node's 2^31-1 ms timer and fire at once.
  const cancel = new AbortController()
  const steps = target.spec.timeline ?? []
  steps.forEach((step, index) => {
    const apply = (): void => {
      const stamp = palette.dim(new Date().toISOString())
      try {
        const detail = applyTimelineStep(step, target)
        io.stdout.write(`${stamp} ${palette.cyan(`step at ${step.at}: ${detail}`)}\n`)
      } catch (error) {
        const action = actionOf(step)
        logger.error({ step: index, action, err: errorMessage(error) }, 'timeline step failed')
        io.stderr.write(`timeline[${index}] at ${step.at}: ${action} failed: ${errorMessage(error)}\n`)
      }
    }
    // The timeline is scheduled right at start, so each step waits its own offset.
    const delayMs = parseDurationMs(step.at) ?? 0
    if (delayMs <= 0) apply()
    else systemClock.sleep(delayMs, cancel.signal).then(apply, () => undefined)
  })
  return () => cancel.abort()
}

function liveHelp(server: RunningMockServer, results: PostureResult[]): string[] {
  const serial = results.find((result) => result.DeviceSerialNumber !== '')?.DeviceSerialNumber ?? 'SERIAL'
  return [
    'Change the fleet while it runs, for example make a flag fail:',
    `  curl -X PUT -H 'content-type: application/json' -d '{"compliant":false}' \\`,
    `    '${server.adminUrl}/devices/serial:${encodeURIComponent(serial)}/policies/Firewall'`,
    `The control API (${server.adminUrl}) also moves the clock, adds faults and reads the journal.`,
    'Press Ctrl-C to stop.',
    '',
  ]
}

/**
 * Runs `ws1sim demo --live`: the scenario's emulator and a checker with the
 * scenario's options on the real clock, with its timeline steps applied at
 * real elapsed time, until shutdown. The scenario's duration and
 * expectations do not apply.
 */
export async function runLiveDemo(scenario: LoadedScenario, options: DemoOptions, io: CliIo): Promise<number> {
  const palette = createPalette(colorEnabled(io, io.stdout))
  const logger = io.createLogger(options.logLevel)
  let intervalOverrideMs: number | undefined
  if (options.interval !== undefined) {
    try {
      intervalOverrideMs = parseDuration(options.interval)
    } catch (error) {
      throw new UsageError(`--interval: ${errorMessage(error)} Use a duration such as 30s, 5m or 1h.`)
    }
  }

  const server = await startScenarioEmulator(scenario, { clock: createSystemClock(), logger })
  let cancelTimeline = (): void => undefined
  try {
    const startMs = server.clock.now()
    const config = liveCheckerConfig(scenario, server, options.interval)
    const intervalMs = intervalOverrideMs ?? parseDuration(config.integration.interval)
    const checker = createLiveChecker(scenario, config, logger)
    io.stdout.write(
      `${palette.bold(`ws1sim demo --live: ${scenario.name}`)}\n` +
        `  emulator ${server.apiUrl}, polling every ${config.integration.interval} on the real clock\n`,
    )
    const stepCount = scenario.spec.timeline?.length ?? 0
    if (stepCount > 0) {
      io.stdout.write(`  timeline: ${stepCount} steps, each applied once its time has passed since start\n`)
    }
    const target: StepTarget = { spec: scenario.spec, server, clock: server.clock, startMs, config, checker, devices: config.devices }
    cancelTimeline = scheduleTimeline(target, io, palette, logger)

    let previous = new Map<string, PostureResult>()
    let first = true
    const poller = new Poller(checker, {
      clock: systemClock,
      intervalMs,
      onPoll: (outcome) => {
        const stamp = palette.dim(new Date(outcome.finishedAt).toISOString())
        const state = outcome.complete ? 'complete' : palette.yellow('incomplete')
        const counts = formatCounts(countResults(outcome.results), palette)
        io.stdout.write(`${stamp} poll ${outcome.poll} ${state}: ${counts}\n`)
        if (first) {
          io.stdout.write(formatVerdictTable(outcome.results, palette))
          io.stdout.write(liveHelp(server, outcome.results).join('\n') + '\n')
          first = false
        } else {
          for (const change of diffResults(previous, outcome.results)) {
            io.stdout.write(`  ${formatChange(change, palette)}\n`)
          }
        }
        previous = indexResults(outcome.results)
      },
    })
    poller.start()
    await waitForShutdown(io.shutdown)
    cancelTimeline()
    await poller.stop()
  } finally {
    cancelTimeline()
    await server.close()
  }
  io.stdout.write('stopped\n')
  return ExitCode.ok
}
