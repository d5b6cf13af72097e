/**
 * Measure 5: the checker alone, matching and evaluating 100k Cloudflare
 * devices against 100k Workspace ONE records. The target applies to the
 * public pure function `evaluateDevices`. A whole `PostureChecker.poll()`
 * over pages served from memory is timed beside it, with the `JSON.parse`
 * and `readWs1Record` time of the same pages, all in the same process.
 */
import path from 'node:path'
import { runJsonChild, SERVER_CORE } from '../lib/proc'
import { PROFILE_ENV, renderProfile } from '../lib/profile'
import { metLabel, table, type Measure, type MeasureContext, type MeasureReport, type TargetCheck } from '../lib/report'
import { formatNumber, formatSummary, summarize } from '../lib/stats'
import type { CheckerRunResult } from './checker-worker'

const DEVICE_COUNT = 100_000
const QUICK_DEVICE_COUNT = 20_000
const TARGET_MILLISECONDS = 500

/** Runs the checker worker once. With `profileFile`, the timed evaluateDevices call runs under the CPU profiler. */
async function runCheckerWorker(context: MeasureContext, count: number, seed: number, profileFile?: string): Promise<CheckerRunResult> {
  const result = await runJsonChild<CheckerRunResult>({
    name: `checker run over ${count} devices`,
    core: SERVER_CORE,
    command: process.execPath,
    args: ['--max-old-space-size=4096', path.join(context.benchDist, 'measures', 'checker-worker.js'), String(count), String(seed)],
    env: profileFile === undefined ? process.env : { ...process.env, [PROFILE_ENV]: profileFile },
    timeoutMs: 300_000,
  })
  if (!result.complete || result.results !== count || result.evaluateResults !== count) {
    throw new Error(
      `The checker run over ${count} devices was incomplete: the poll returned ${result.results} results and evaluateDevices ${result.evaluateResults}, expected ${count} each.`,
    )
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
      context.logger.info(
        { run: run + 1, evaluateMs: Math.round(result.evaluateMs), pollMs: Math.round(result.pollMs), parseMs: Math.round(result.parseMs) },
        'checker run finished',
      )
      runs.push(result)
    }

    const evaluate = summarize(runs.map((run) => run.evaluateMs))
    const first = runs[0] as CheckerRunResult
    // The target is stated for 100k devices, so quick mode (fewer devices) checks none.
    const checked = count === DEVICE_COUNT
    const met = evaluate.median < TARGET_MILLISECONDS
    let profile = ''
    if (checked && !met) {
      const profileFile = path.join(context.workDir, 'checker.cpuprofile')
      await runCheckerWorker(context, count, 1, profileFile)
      profile = renderProfile(`Profile of the timed \`evaluateDevices\` call over ${formatNumber(count)} devices (V8 CPU profiler).`, profileFile, context.repoRoot)
    }

    const scaled = checked ? '' : ` Quick mode uses ${formatNumber(count)} devices, so no target is checked.`
    const markdown = [
      `- Method: each run is a fresh Node process pinned with \`taskset -c ${SERVER_CORE}\`. It starts the emulator with ${formatNumber(count)} generated devices (default policies), fetches every v2 search page once over HTTP, closes the emulator, and mirrors each record into a Cloudflare device with the same serial.`,
      '- Matching and evaluation: `evaluateDevices(records, devices, rules, {}, now)` from the checker\'s public entry, with one rule, over the records `readWs1Record` made from the pages. One untimed call comes first, then one timed call.',
      '- Whole poll, for comparison: a `PostureChecker` polls twice through an injected in-memory `fetch` (no sockets), and the second poll is timed. The same process also times `JSON.parse` of every page once and `readWs1Record` over every row.',
      `- Pages: ${first.pages}, ${formatNumber(first.pageBytes / 1e6, 1)} MB in all, ${formatNumber(first.results)} results, ${formatNumber(first.passed)} passing. ${context.runs} run(s), median (min–max).${scaled}`,
      '',
      table(
        ['measure', 'ms'],
        [
          ['`evaluateDevices` (matching and evaluation)', formatSummary(evaluate)],
          ['`JSON.parse` of the same pages', formatSummary(summarize(runs.map((run) => run.parseMs)))],
          ['`readWs1Record` over every row', formatSummary(summarize(runs.map((run) => run.readMs)))],
          ['first poll (cold)', formatSummary(summarize(runs.map((run) => run.firstPollMs)))],
          ['second poll', formatSummary(summarize(runs.map((run) => run.pollMs)))],
        ],
      ),
      ...(checked
        ? ['', table(['target', 'observed (median)', 'result'], [[`matching and evaluation < ${TARGET_MILLISECONDS} ms`, `${formatNumber(evaluate.median)} ms`, metLabel(met)]])]
        : []),
      ...(profile === '' ? [] : ['', profile]),
    ].join('\n')

    const targets: TargetCheck[] = checked
      ? [
          {
            measure: `checker matching and evaluation (evaluateDevices), ${formatNumber(count)} devices`,
            target: `< ${TARGET_MILLISECONDS} ms`,
            observed: `${formatNumber(evaluate.median)} ms`,
            met,
          },
        ]
      : []
    return { markdown, targets }
  },
}
