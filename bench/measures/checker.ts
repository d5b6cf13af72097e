/**
 * Measure 5: the checker alone, matching and evaluating 100k Cloudflare
 * devices against 100k Workspace ONE records. The checker's public API has
 * no pure matching or evaluation function, so the measure times a whole
 * `PostureChecker.poll()` over pages served from memory and subtracts the
 * `JSON.parse` time of the same pages, measured in the same process.
 */
import path from 'node:path'
import { runJsonChild, SERVER_CORE } from '../lib/proc'
import { PROFILE_ENV, renderProfile } from '../lib/profile'
import { metLabel, table, type Measure, type MeasureContext, type MeasureReport } from '../lib/report'
import { formatNumber, formatSummary, summarize } from '../lib/stats'
import type { CheckerRunResult } from './checker-worker'

const DEVICE_COUNT = 100_000
const QUICK_DEVICE_COUNT = 20_000
const TARGET_MILLISECONDS = 500

/** Runs the checker worker once. With `profileFile`, the timed poll runs under the CPU profiler. */
async function runCheckerWorker(context: MeasureContext, count: number, seed: number, profileFile?: string): Promise<CheckerRunResult> {
  const result = await runJsonChild<CheckerRunResult>({
    name: `checker run over ${count} devices`,
    core: SERVER_CORE,
    command: process.execPath,
    args: ['--max-old-space-size=4096', path.join(context.benchDist, 'measures', 'checker-worker.js'), String(count), String(seed)],
    env: profileFile === undefined ? process.env : { ...process.env, [PROFILE_ENV]: profileFile },
    timeoutMs: 300_000,
  })
  if (!result.complete || result.results !== count) {
    throw new Error(`The checker poll over ${count} devices was incomplete or returned ${result.results} results, expected ${count}.`)
  }
  return result
}

export const checkerMeasure: Measure = {
  id: 'checker',
  title: 'Checker matching and evaluation',
  async run(context: MeasureContext): Promise<MeasureReport> {
    const count = context.quick ? QUICK_DEVICE_COUNT : DEVICE_COUNT
    const runs: CheckerRunResult[] = []
    for (let run = 0; run < context.runs; run += 1) {
      const result = await runCheckerWorker(context, count, run + 1)
      context.logger.info({ run: run + 1, pollMs: Math.round(result.pollMs), parseMs: Math.round(result.parseMs) }, 'checker run finished')
      runs.push(result)
    }

    const poll = summarize(runs.map((run) => run.pollMs))
    const parse = summarize(runs.map((run) => run.parseMs))
    const beyondParse = summarize(runs.map((run) => run.pollMs - run.parseMs))
    const first = runs[0] as CheckerRunResult
    // The target is stated for 100k devices, so quick mode (fewer devices) checks none.
    const checked = count === DEVICE_COUNT
    const met = beyondParse.median < TARGET_MILLISECONDS
    let profile = ''
    if (checked && !met) {
      const profileFile = path.join(context.workDir, 'checker.cpuprofile')
      await runCheckerWorker(context, count, 1, profileFile)
      profile = renderProfile(`Profile of the timed \`PostureChecker.poll()\` over ${formatNumber(count)} devices (V8 CPU profiler).`, profileFile, context.repoRoot)
    }

    const scaled = checked ? '' : ` (quick mode: ${formatNumber(count)} devices, so no target is checked)`
    const markdown = [
      `- Method: each run is a fresh Node process pinned with \`taskset -c ${SERVER_CORE}\`. It starts the emulator with ${formatNumber(count)} generated devices (default policies), fetches every v2 search page once over HTTP, closes the emulator, and mirrors each record into a Cloudflare device with the same serial. A \`PostureChecker\` with one rule then polls twice through an injected in-memory \`fetch\` (no sockets), and the second poll is timed. The same process then times \`JSON.parse\` of every page once.`,
      `- The checker's public entry exports no pure matching or evaluation function, so "poll − parse" is the estimate of matching and evaluation: it also contains record reading, Response handling and result building.`,
      `- Pages: ${first.pages}, ${formatNumber(first.pageBytes / 1e6, 1)} MB in all, ${formatNumber(first.results)} results, ${formatNumber(first.passed)} passing. ${context.runs} run(s), median (min–max)${scaled}.`,
      '',
      table(
        ['measure', 'ms'],
        [
          ['first poll (cold)', formatSummary(summarize(runs.map((run) => run.firstPollMs)))],
          ['second poll', formatSummary(poll)],
          ['JSON.parse of the same pages', formatSummary(parse)],
          ['poll − parse (matching, evaluation, record reading)', formatSummary(beyondParse)],
        ],
      ),
      '',
      checked
        ? table(['target', 'observed (median)', 'result'], [[`matching and evaluation < ${TARGET_MILLISECONDS} ms`, `${formatNumber(beyondParse.median)} ms`, metLabel(met)]])
        : '',
      ...(profile === '' ? [] : ['', profile]),
    ].join('\n')

    const targets = checked
      ? [
          {
            measure: `checker matching and evaluation, ${formatNumber(count)} devices (poll − parse)`,
            target: `< ${TARGET_MILLISECONDS} ms`,
            observed: `${formatNumber(beyondParse.median)} ms`,
            met,
          },
        ]
      : []
    return { markdown, targets }
  },
}
