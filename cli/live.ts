import { startScenarioEmulator, type LoadedScenario } from '../harness'
import { createSystemClock } from '../mock-workspace-one'
import type { RunningMockServer } from '../mock-workspace-one/types'
import {
  PostureChecker,
  Poller,
  parseDuration,
  systemClock,
  validateCheckerConfig,
  type CheckerConfig,
  type CloudflarePlatform,
  type PostureResult,
} from '../posture-checker'
import { credentialsFromSnapshot } from './credentials'
import type { DemoOptions } from './demo'
import { ExitCode, UsageError, errorMessage } from './errors'
import { createPalette } from './format'
import { colorEnabled, waitForShutdown, type CliIo } from './io'
import { countResults, diffResults, formatChange, formatCounts, formatVerdictTable, indexResults } from './verdicts'

const DEFAULT_INTERVAL = '5m'
const DEFAULT_INTEGRATION_NAME = 'Workspace ONE'

function cloudflarePlatform(ws1Platform: string | undefined): CloudflarePlatform {
  switch (ws1Platform) {
    case 'AppleOsX':
      return 'mac'
    case 'Apple':
      return 'ios'
    case 'Android':
      return 'android'
    case 'Linux':
      return 'linux'
    case 'ChromeBook':
      return 'chromeos'
    default:
      return 'windows'
  }
}

/**
 * Builds the checker config of a scenario for the live demo: the scenario's
 * integration, rules and Cloudflare devices (or the mirrored fleet), pointed
 * at the running emulator.
 * NOTE: this repeats part of the harness's own translation, which its public
 * entry does not export. The scenario's `checker` options, mirror overrides
 * and timeline are not applied here.
 */
export async function liveCheckerConfig(
  scenario: LoadedScenario,
  server: RunningMockServer,
  interval: string | undefined,
): Promise<CheckerConfig> {
  const cloudflare = scenario.spec.cloudflare ?? {}
  const integration = cloudflare.integration ?? {}
  const credentials = credentialsFromSnapshot(server.emulator.snapshot())
  const name = integration.name ?? DEFAULT_INTEGRATION_NAME

  // Explicit Cloudflare devices first, then one per distinct serial of the fleet when mirrored.
  const devices: Array<Record<string, unknown>> = (cloudflare.devices ?? []).map((device) => ({ ...device }))
  if (cloudflare.mirror_fleet !== undefined && cloudflare.mirror_fleet !== false) {
    const except = new Set(typeof cloudflare.mirror_fleet === 'object' ? (cloudflare.mirror_fleet.except ?? []) : [])
    const seen = new Set<string>()
    for (const record of server.tenant.listDevices()) {
      const serial = record.serialNumber.trim()
      if (serial === '' || except.has(record.serialNumber) || seen.has(serial.toUpperCase())) continue
      seen.add(serial.toUpperCase())
      devices.push({
        device_id: `cf-${String(devices.length + 1).padStart(5, '0')}`,
        serial_number: serial,
        platform: cloudflarePlatform(record.platform),
      })
    }
  }

  const scenarioRules = cloudflare.rules ?? [
    { name: 'Workspace ONE compliant', input: { compliance_status: 'compliant' as const } },
  ]
  const rules = scenarioRules.map((rule) => ({
    type: 'workspace_one',
    ...rule,
    input: { connection_id: name, ...rule.input },
  }))

  // Validating the assembled object gives the typed config and names any key the scenario got wrong.
  const raw = {
    integration: {
      name,
      type: 'workspace_one',
      interval: interval ?? integration.interval ?? DEFAULT_INTERVAL,
      config: {
        api_url: server.apiUrl,
        auth_url: server.tokenUrl,
        client_id: integration.config?.client_id ?? credentials?.clientId ?? '',
        client_secret: integration.config?.client_secret ?? credentials?.clientSecret ?? '',
      },
    },
    rules,
    devices,
  }
  const validation = validateCheckerConfig(raw, { env: {} })
  if (!validation.ok) {
    throw new UsageError(
      `${scenario.file}: cannot build a live checker config from scenario "${scenario.name}".`,
      validation.errors.map((error) => `${error.key}: ${error.message}`),
    )
  }
  return validation.config
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

/** Runs `ws1sim demo --live`: the scenario's emulator and a checker on the real clock until shutdown. */
export async function runLiveDemo(scenario: LoadedScenario, options: DemoOptions, io: CliIo): Promise<number> {
  const palette = createPalette(colorEnabled(io, io.stdout))
  const logger = io.createLogger(options.logLevel)
  let intervalMs: number
  try {
    intervalMs = parseDuration(options.interval ?? scenario.spec.cloudflare?.integration?.interval ?? DEFAULT_INTERVAL)
  } catch (error) {
    throw new UsageError(`--interval: ${errorMessage(error)} Use a duration such as 30s, 5m or 1h.`)
  }

  const server = await startScenarioEmulator(scenario, { clock: createSystemClock(), logger })
  try {
    const config = await liveCheckerConfig(scenario, server, options.interval)
    const checker = new PostureChecker(config, { clock: systemClock, logger })
    io.stdout.write(
      `${palette.bold(`ws1sim demo --live: ${scenario.name}`)}\n` +
        `  emulator ${server.apiUrl}, polling every ${config.integration.interval} on the real clock\n`,
    )

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
    await poller.stop()
  } finally {
    await server.close()
  }
  io.stdout.write('stopped\n')
  return ExitCode.ok
}
