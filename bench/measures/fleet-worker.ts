/**
 * Fleet generation child process: builds an emulator with one empty tenant
 * and times `generateFleet` through the public tenant control, then prints
 * one JSON line with the time and the process's memory.
 *
 * Usage: node fleet-worker.js COUNT SEED
 */
import pino from 'pino'
import { createMockServer } from '../../mock-workspace-one'
import { profileIfRequested } from '../lib/profile'

/** Result of one generation, with sizes in bytes. */
export interface FleetRunResult {
  count: number
  generatedCount: number
  milliseconds: number
  rssBeforeBytes: number
  rssAfterBytes: number
  /** Peak resident set size of the whole process (getrusage maxrss). */
  peakRssBytes: number
  heapUsedBytes: number
}

async function main(): Promise<void> {
  const count = Number(process.argv[2])
  const seed = Number(process.argv[3] ?? '1')
  if (!Number.isInteger(count) || count < 1) {
    throw new Error(`Invalid device count "${process.argv[2] ?? ''}": pass a whole number of at least 1.`)
  }

  const { emulator } = createMockServer({
    logger: pino({ level: 'silent' }),
    seed,
    tenants: [{ name: 'Fleet Bench', tenantCode: 'fleet-bench-code', devices: [] }],
  })
  const tenant = emulator.tenant()
  const rssBeforeBytes = process.memoryUsage().rss

  const started = process.hrtime.bigint()
  const generatedCount = await profileIfRequested(async () => tenant.generateFleet({ count, seed }))
  const milliseconds = Number(process.hrtime.bigint() - started) / 1e6

  const memory = process.memoryUsage()
  const result: FleetRunResult = {
    count,
    generatedCount,
    milliseconds,
    rssBeforeBytes,
    rssAfterBytes: memory.rss,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    heapUsedBytes: memory.heapUsed,
  }
  if (tenant.deviceCount() !== count) {
    throw new Error(`generateFleet returned ${generatedCount} and the tenant holds ${tenant.deviceCount()} devices, expected ${count}.`)
  }
  process.stdout.write(`${JSON.stringify(result)}\n`)
}

main().catch((error: unknown) => {
  process.stderr.write(`fleet worker failed: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exitCode = 1
})
