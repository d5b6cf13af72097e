/** Exit statuses of every command. Scripts depend on them, so they never change meaning. */
export const ExitCode = {
  /** The command did what it was asked and every expectation or check held. */
  ok: 0,
  /** Expectations or checks failed, or a poll was incomplete. */
  failed: 1,
  /** Invalid input or usage: flags, arguments, scenario or config files. */
  usage: 2,
} as const

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

/** Reason of the shutdown signal's abort: the signal that the process received. */
export class ShutdownRequest extends Error {
  override readonly name = 'ShutdownRequest'

  constructor(readonly signal: 'SIGINT' | 'SIGTERM') {
    super(`received ${signal}`)
  }
}

/**
 * Returns the conventional exit status of a process stopped by `signal`:
 * 128 plus the signal number, so 130 for SIGINT and 143 for SIGTERM.
 */
export function signalExitCode(signal: 'SIGINT' | 'SIGTERM'): number {
  return signal === 'SIGTERM' ? 143 : 130
}

/**
 * A mistake by the user (bad flag value, unreadable file, invalid config).
 * The command line prints the message alone, never a stack trace, and exits 2.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError'
  /** Extra lines printed after the message, for example one per validation error. */
  readonly details: string[]

  constructor(message: string, details: string[] = []) {
    super(message)
    this.details = details
  }
}

/** Returns the message of anything thrown, without a stack. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message
  return String(error)
}
