/**
 * The emulator as a standalone child process for load tests. The parent
 * starts it pinned to the server core and reads where it listens from the
 * first stdout line. SIGTERM closes it and exits.
 *
 * With BENCH_CPU_PROFILE=FILE set, SIGUSR2 starts the V8 CPU profiler and
 * SIGTERM writes the profile to FILE before exiting, so the profile covers
 * the load only, not start-up and fleet generation.
 *
 * Usage: node emulator-server.js '<MockServerOptions JSON without logger or clock>'
 */
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import pino from 'pino'
import { startMockServer } from '../../mock-workspace-one'
import type { MockServerOptions } from '../../mock-workspace-one/types'

/** Sets up on-demand CPU profiling and returns a function that stops it and writes the profile. */
async function setUpProfiler(file: string): Promise<() => Promise<void>> {
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  let started = false
  process.on('SIGUSR2', () => {
    started = true
    void session.post('Profiler.start')
  })
  return async () => {
    if (!started) {
      return
    }
    const { profile } = await session.post('Profiler.stop')
    writeFileSync(file, JSON.stringify(profile))
  }
}

async function main(): Promise<void> {
  const raw = process.argv[2]
  if (raw === undefined) {
    throw new Error('Missing argument: pass the emulator options as one JSON argument.')
  }
  const options = JSON.parse(raw) as MockServerOptions
  const profileFile = process.env['BENCH_CPU_PROFILE']
  const stopProfiler = profileFile === undefined ? async () => {} : await setUpProfiler(profileFile)

  const server = await startMockServer({ ...options, host: '127.0.0.1', port: 0, logger: pino({ level: 'silent' }) })
  process.stdout.write(`${JSON.stringify({ url: server.url, pid: process.pid })}\n`)

  process.once('SIGTERM', () => {
    // Exit anyway if a keep-alive connection keeps close() from finishing.
    setTimeout(() => process.exit(0), 5000).unref()
    stopProfiler()
      .then(() => server.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          process.stderr.write(`emulator server failed to stop: ${error instanceof Error ? error.message : String(error)}\n`)
          process.exit(1)
        },
      )
  })
}

main().catch((error: unknown) => {
  process.stderr.write(`emulator server failed to start: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exitCode = 1
})
