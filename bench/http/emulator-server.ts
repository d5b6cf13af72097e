/**
 * The emulator as a standalone child process for load tests. The parent
 * starts it pinned to the server core and reads where it listens from the
 * first stdout line. SIGTERM closes it and exits normally, so a
 * `--cpu-prof` run writes its profile.
 *
 * Usage: node emulator-server.js '<MockServerOptions JSON without logger or clock>'
 */
import pino from 'pino'
import { startMockServer } from '../../mock-workspace-one'
import type { MockServerOptions } from '../../mock-workspace-one/types'

async function main(): Promise<void> {
  const raw = process.argv[2]
  if (raw === undefined) {
    throw new Error('Missing argument: pass the emulator options as one JSON argument.')
  }
  const options = JSON.parse(raw) as MockServerOptions
  const server = await startMockServer({ ...options, host: '127.0.0.1', port: 0, logger: pino({ level: 'silent' }) })
  process.stdout.write(`${JSON.stringify({ url: server.url, pid: process.pid })}\n`)

  process.once('SIGTERM', () => {
    // Exit anyway if a keep-alive connection holds close() open.
    setTimeout(() => process.exit(0), 5000).unref()
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  })
}

main().catch((error: unknown) => {
  process.stderr.write(`emulator server failed to start: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exitCode = 1
})
