import pino from 'pino'
import type { CliIo } from './io'

/** A CliIo for tests: captured output, a fixed environment and a shutdown the test triggers. */
export interface TestIo extends CliIo {
  stdoutText(): string
  stderrText(): string
  /** Sends the shutdown signal, as Ctrl-C does; `reason` becomes the abort reason. */
  stop(reason?: unknown): void
}

export function createTestIo(options: { cwd?: string; env?: Record<string, string>; tty?: boolean } = {}): TestIo {
  let stdout = ''
  let stderr = ''
  const shutdown = new AbortController()
  return {
    stdout: { write: (text) => void (stdout += text), isTTY: options.tty ?? false },
    stderr: { write: (text) => void (stderr += text), isTTY: options.tty ?? false },
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
    shutdown: shutdown.signal,
    createLogger: () => pino({ level: 'silent' }),
    stdoutText: () => stdout,
    stderrText: () => stderr,
    stop: (reason?: unknown) => shutdown.abort(reason),
  }
}
