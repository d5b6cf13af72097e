import pino, { type Logger } from 'pino'

/** One output stream of the command line, with what the commands need to know about it. */
export interface CliStream {
  write(text: string): void
  /** True when the stream is an interactive terminal. */
  isTTY: boolean
}

/**
 * Everything a command touches outside its arguments. `main.ts` builds one
 * from the process. Tests build one that captures output and sends the
 * shutdown signal themselves.
 */
export interface CliIo {
  stdout: CliStream
  stderr: CliStream
  env: Record<string, string | undefined>
  /** Directory relative paths in arguments are resolved against. */
  cwd: string
  /** Aborted on SIGINT or SIGTERM, so long-running commands can close cleanly. */
  shutdown: AbortSignal
  /** Creates the logger of a command at a pino level such as `info`. */
  createLogger(level: string): Logger
}

/** Builds the IO of a real process: logs go to stderr as pino JSON lines. */
export function createProcessIo(shutdown: AbortSignal): CliIo {
  return {
    stdout: {
      write: (text) => void process.stdout.write(text),
      isTTY: process.stdout.isTTY === true,
    },
    stderr: {
      write: (text) => void process.stderr.write(text),
      isTTY: process.stderr.isTTY === true,
    },
    env: process.env,
    cwd: process.cwd(),
    shutdown,
    createLogger: (level) => pino({ level, base: { name: 'ws1sim' } }, pino.destination({ dest: 2, sync: true })),
  }
}

/** True when output on `stream` may use ANSI colours: a terminal and no NO_COLOR variable. */
export function colorEnabled(io: CliIo, stream: CliStream): boolean {
  const noColor = io.env['NO_COLOR']
  return stream.isTTY && (noColor === undefined || noColor === '')
}

/** Resolves when `signal` aborts (at once if it already has). */
export function waitForShutdown(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve()
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))
}
