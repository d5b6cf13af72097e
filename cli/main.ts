import { ShutdownRequest, signalExitCode } from './errors'
import { createProcessIo } from './io'
import { runCli } from './program'

// Entry of the `ws1sim` executable (bin/ws1sim.js requires the compiled file).
// SIGINT and SIGTERM abort the shutdown signal so long-running commands
// (serve, check, demo --live, run) close their servers and save state. A
// second signal exits at once, with 130 for SIGINT and 143 for SIGTERM.
const shutdown = new AbortController()
let signalled = false

function onSignal(signal: NodeJS.Signals): void {
  const name = signal === 'SIGTERM' ? 'SIGTERM' : 'SIGINT'
  if (signalled) process.exit(signalExitCode(name))
  signalled = true
  shutdown.abort(new ShutdownRequest(name))
}

process.on('SIGINT', onSignal)
process.on('SIGTERM', onSignal)

runCli(process.argv.slice(2), createProcessIo(shutdown.signal)).then(
  (code) => {
    process.exitCode = code
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  },
  (error: unknown) => {
    // runCli handles every error itself, so this is a bug in the command line.
    process.stderr.write(`ws1sim: internal error: ${String(error)}\n`)
    process.exitCode = 1
  },
)
