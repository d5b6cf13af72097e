import { Command, CommanderError, Option } from 'commander'
import { ExitCode, UsageError, errorMessage } from './errors'
import type { CliIo } from './io'
import { parseInteger, parsePort, parseShard } from './options'
import { packageVersion } from './paths'
import type { CheckOptions } from './check'
import type { DemoOptions } from './demo'
import type { RunOptions } from './run'
import type { ServeOptions } from './serve'

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
const REPORTERS = ['console', 'json', 'junit'] as const

const logLevelOption = (): Option =>
  new Option('--log-level <level>', 'pino level of the JSON logs written to stderr')
    .choices(LOG_LEVELS)
    .default('info')

const verboseOption = (): Option =>
  new Option('--verbose', 'print the stack trace of unexpected errors (so does DEBUG=ws1sim)')

/**
 * Builds the `ws1sim` program. Each action stores its exit status in
 * `result.code`. Commander errors are thrown (exitOverride) and mapped by runCli.
 */
export function buildProgram(io: CliIo, result: { code: number }): Command {
  const program = new Command('ws1sim')
  program
    .description(
      'Workspace ONE UEM tenant emulator and Cloudflare-style Workspace ONE posture checker, ' +
        'driven by YAML scenarios on a virtual clock.',
    )
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'print help for the command and exit')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .showHelpAfterError('(add --help for usage)')
    .showSuggestionAfterError(true)
    .helpCommand(false)
    .addHelpText(
      'after',
      '\nExit status: 0 success, 1 expectations or checks failed, 2 invalid input\n' +
        'or usage.\n' +
        'Run "ws1sim <command> --help" for the flags of one command.',
    )

  program
    .command('demo')
    .summary('tell the story of a bundled scenario: token, pages, verdicts, what changed (npm start)')
    .description(
      'Run the emulator and the checker on a bundled scenario and tell what happens as a story, ' +
        'in accelerated virtual time, so hours of polls take seconds. This is what `npm start` runs.',
    )
    .option(
      '--live',
      'keep the emulator up and poll on the real clock until Ctrl-C, printing verdict changes; ' +
        'timeline steps apply at real elapsed time from start',
    )
    .option(
      '--scenario <file>',
      'scenario YAML file to tell (default: the bundled flag-flip scenario); the first scenario in the file is used',
    )
    .option(
      '--interval <duration>',
      'with --live: polling interval such as 30s or 5m (default: the scenario integration interval)',
    )
    // The story itself shows retries and 429s, so warn lines would only repeat them in JSON.
    .addOption(logLevelOption().default('error'))
    .addOption(verboseOption())
    .action(async (options: DemoOptions) => {
      const { runDemo } = await import('./demo')
      result.code = await runDemo(options, io)
    })

  program
    .command('run')
    .summary('run scenarios and check their expectations')
    .description('Run scenarios and check their expectations. Default: every bundled scenario in scenarios/.')
    .argument('[paths...]', 'scenario files, folders (every *.yaml and *.yml) or glob patterns')
    .addOption(
      new Option('--reporter <name>', 'report format written to stdout or --out')
        .choices(REPORTERS)
        .default('console'),
    )
    .option('--out <file>', 'write the report to this file instead of stdout')
    .option('--results <file>', 'write every posture result of every poll to this file as NDJSON')
    .option('--shard <I/N>', 'run only shard I of N (1-based), split by file, e.g. 2/4', parseShard)
    .option('--grep <text>', 'run only scenarios whose name contains this text (case-insensitive)')
    .addOption(verboseOption())
    .action(async (paths: string[], options: RunOptions) => {
      const { runScenariosCommand } = await import('./run')
      result.code = await runScenariosCommand(paths, options, io)
    })

  program
    .command('validate')
    .summary('check scenario files against the schema')
    .description('Check scenario files against the schema and run nothing.')
    .argument('<files...>', 'scenario files, folders or glob patterns')
    .addOption(verboseOption())
    .action(async (files: string[]) => {
      const { runValidate } = await import('./validate')
      result.code = await runValidate(files, io)
    })

  program
    .command('serve')
    .summary('run the Workspace ONE emulator standalone for any client')
    .description(
      'Run the Workspace ONE emulator standalone on the real clock, for any client, until Ctrl-C. ' +
        'With --json the first stdout line contains the OAuth client secret of this local emulator.',
    )
    .addOption(new Option('--host <address>', 'address to listen on').default('127.0.0.1'))
    .addOption(
      new Option('--port <number>', 'TCP port to listen on; 0 picks a free port')
        .default(0)
        .argParser(parsePort),
    )
    .option('--scenario <file>', 'build the tenant and fleet from this scenario file (its first scenario)')
    .addOption(
      new Option('--seed <number>', 'seed of the generated fleet, credentials and tokens')
        .default(1)
        .argParser(parseInteger('seed', 0, 2 ** 31 - 1)),
    )
    .addOption(
      new Option('--devices <count>', 'number of generated devices (ignored with --scenario)')
        .default(20)
        .argParser(parseInteger('devices', 0, 1_000_000)),
    )
    .option(
      '--state <file>',
      'load the emulator state (tenants, clients, devices, faults) from this JSON file at start when it ' +
        'exists, replacing what --scenario, --seed and --devices built, and save it there on shutdown',
    )
    .addOption(
      new Option('--tls', 'serve HTTPS with a generated self-signed certificate for 127.0.0.1 and localhost')
        .conflicts(['cert', 'key']),
    )
    .option('--cert <file>', 'serve HTTPS with this PEM certificate (needs --key)')
    .option('--key <file>', 'PEM private key of --cert')
    .option(
      '--admin-token <token>',
      'require "Authorization: Bearer <token>" on the control API under /__admin (default: open)',
    )
    .option(
      '--json',
      'print one JSON line first on stdout: url, apiUrl, tokenUrl, adminUrl, clientId, ' +
        'clientSecret (in clear text), tenantCode, and caFile with --tls',
    )
    .addOption(logLevelOption())
    .addOption(verboseOption())
    .action(async (options: ServeOptions) => {
      const { runServe } = await import('./serve')
      result.code = await runServe(options, io)
    })

  program
    .command('check')
    .summary('run the posture checker against the emulator or a real tenant')
    .description(
      'Run the posture checker against a Workspace ONE REST API (the emulator or a real tenant). ' +
        'Without --once or --test it polls every integration interval until Ctrl-C.',
    )
    .requiredOption(
      '--config <file>',
      'YAML or JSON file with integration, rules and devices in Cloudflare API shapes',
    )
    .option('--once', 'poll once, print the verdict table and exit (1 if the poll was incomplete)')
    .option('--test', 'only test the connection (token, then one API call), like the dashboard Test button')
    .option('--results <file>', 'write the posture results as NDJSON (appended per poll when polling)')
    .addOption(logLevelOption().default('warn'))
    .addOption(verboseOption())
    .addHelpText(
      'after',
      '\nThe client secret may be left out of the file and set in the environment\n' +
        'variable WS1_CLIENT_SECRET instead.\n\n' +
        'Exit status with --once: 0 the poll completed (whatever the verdicts),\n' +
        '1 the poll was incomplete or ended with an error, 2 invalid config.\n' +
        'With --test: 0 connected, 1 a step failed, 2 invalid config.',
    )
    .action(async (options: CheckOptions) => {
      const { runCheck } = await import('./check')
      result.code = await runCheck(options, io)
    })

  return program
}

/** True when DEBUG names ws1sim (`DEBUG=ws1sim`, `DEBUG=ws1sim:*`, `DEBUG=*`). */
export function debugEnabled(env: Record<string, string | undefined>): boolean {
  const names = (env['DEBUG'] ?? '').split(/[\s,]+/)
  return names.some((name) => name === '*' || name === 'ws1sim' || name.startsWith('ws1sim:'))
}

function commanderExitCode(error: CommanderError): number {
  switch (error.code) {
    case 'commander.helpDisplayed':
    case 'commander.version':
      return ExitCode.ok
    default:
      // Everything else commander raises is a usage mistake, including `ws1sim` with no command.
      return ExitCode.usage
  }
}

/**
 * Parses `args` (without the node and script paths), runs the command and
 * returns its exit status. Errors are caught here: a usage error prints its
 * message, and an unexpected error prints one line, plus the stack trace
 * with --verbose or DEBUG=ws1sim.
 */
export async function runCli(args: string[], io: CliIo): Promise<number> {
  const result = { code: ExitCode.ok as number }
  const program = buildProgram(io, result)
  try {
    await program.parseAsync(args, { from: 'user' })
    return result.code
  } catch (error) {
    if (error instanceof CommanderError) return commanderExitCode(error)
    if (error instanceof UsageError) {
      io.stderr.write(`ws1sim: ${error.message}\n`)
      for (const line of error.details) io.stderr.write(`  ${line}\n`)
      return ExitCode.usage
    }
    io.stderr.write(`ws1sim: unexpected error: ${errorMessage(error)}\n`)
    if (args.includes('--verbose') || debugEnabled(io.env)) {
      io.stderr.write(`${error instanceof Error ? (error.stack ?? '') : ''}\n`)
    } else {
      io.stderr.write('(add --verbose or set DEBUG=ws1sim to print the stack trace)\n')
    }
    return ExitCode.failed
  }
}

