/**
 * Measure 3: seeded fleet generation of 10k and 100k devices, each run in a
 * fresh process pinned to the server core so its memory is its own.
 */
import path from 'node:path'
import { runJsonChild, SERVER_CORE } from '../lib/proc'
import { PROFILE_ENV, renderProfile } from '../lib/profile'
import { formatMiB, metLabel, table, type Measure, type MeasureContext, type MeasureReport, type TargetCheck } from '../lib/report'
import { formatNumber, formatSummary, summarize } from '../lib/stats'
import type { FleetRunResult } from './fleet-worker'

const SIZES = [10_000, 100_000] as const
const TARGET_SIZE = 100_000
const TARGET_MILLISECONDS = 2000
const TARGET_RSS_BYTES = 300 * 1024 ** 2

/** Runs one generation in a fresh process. With `profileFile`, generation runs under the CPU profiler. */
function runFleetWorker(context: MeasureContext, size: number, seed: number, profileFile?: string): Promise<FleetRunResult> {
  return runJsonChild<FleetRunResult>({
    name: `fleet generation of ${size}`,
    core: SERVER_CORE,
    command: process.execPath,
    args: [path.join(context.benchDist, 'measures', 'fleet-worker.js'), String(size), String(seed)],
    env: profileFile === undefined ? process.env : { ...process.env, [PROFILE_ENV]: profileFile },
    timeoutMs: 120_000,
  })
}

export const fleetMeasure: Measure = {
  id: 'fleet',
  title: 'Fleet generation',
  async run(context: MeasureContext): Promise<MeasureReport> {
    const rows: string[][] = []
    const targets: TargetCheck[] = []
    const profiles: string[] = []

    for (const size of SIZES) {
      const runs: FleetRunResult[] = []
      for (let run = 0; run < context.runs; run += 1) {
        const result = await runFleetWorker(context, size, run + 1)
        context.logger.info({ size, run: run + 1, milliseconds: Math.round(result.milliseconds) }, 'fleet generation finished')
        runs.push(result)
      }

      const milliseconds = summarize(runs.map((run) => run.milliseconds))
      const peak = summarize(runs.map((run) => run.peakRssBytes))
      rows.push([
        formatNumber(size),
        formatSummary(milliseconds),
        formatNumber(size / (milliseconds.median / 1000)),
        formatSummary(summarize(runs.map((run) => run.rssBeforeBytes / 1024 ** 2))),
        formatSummary(summarize(runs.map((run) => run.rssAfterBytes / 1024 ** 2))),
        formatSummary(summarize(runs.map((run) => run.peakRssBytes / 1024 ** 2))),
        formatSummary(summarize(runs.map((run) => run.heapUsedBytes / 1024 ** 2))),
      ])

      if (size === TARGET_SIZE) {
        if (milliseconds.median >= TARGET_MILLISECONDS) {
          const profileFile = path.join(context.workDir, 'fleet.cpuprofile')
          await runFleetWorker(context, size, 1, profileFile)
          profiles.push(renderProfile(`Profile of \`generateFleet\` for ${formatNumber(size)} devices (V8 CPU profiler).`, profileFile, context.repoRoot))
        }
        targets.push({
          measure: `fleet generation, ${formatNumber(size)} devices, time`,
          target: `< ${TARGET_MILLISECONDS} ms`,
          observed: `${formatNumber(milliseconds.median)} ms`,
          met: milliseconds.median < TARGET_MILLISECONDS,
        })
        targets.push({
          measure: `fleet generation, ${formatNumber(size)} devices, process peak RSS`,
          target: `< ${formatMiB(TARGET_RSS_BYTES)} MiB`,
          observed: `${formatMiB(peak.median)} MiB`,
          met: peak.median < TARGET_RSS_BYTES,
        })
      }
    }

    const markdown = [
      `- Method: each run is a fresh Node process pinned with \`taskset -c ${SERVER_CORE}\` that creates the emulator with one empty tenant (\`createMockServer\`), then times \`tenant.generateFleet({ count, seed })\` with \`process.hrtime\`. The seed differs per run. Memory is the whole process: RSS before and after generation, and peak RSS from getrusage.`,
      `- ${context.runs} run(s) per size, median (min–max).`,
      '',
      table(['devices', 'ms', 'devices/s', 'RSS before MiB', 'RSS after MiB', 'peak RSS MiB', 'heap used MiB'], rows),
      '',
      table(
        ['target', 'observed (median)', 'result'],
        targets.map((check) => [`${check.measure} ${check.target}`, check.observed, metLabel(check.met)]),
      ),
      ...profiles.flatMap((profile) => ['', profile]),
    ].join('\n')

    return { markdown, targets }
  },
}
