/**
 * Measure 5: the checker alone, matching and evaluating 100k Cloudflare
 * devices against 100k Workspace ONE records. The checker's public API has
 * no pure matching or evaluation function, so the measure times a whole
 * `PostureChecker.poll()` over pages served from memory and subtracts the
 * `JSON.parse` time of the same pages, measured in the same process.
 */
import path from 'node:path'
import { runJsonChild, SERVER_CORE } from '../lib/proc'
import { metLabel, table, type Measure, type MeasureContext, type MeasureReport } from '../lib/report'
import { formatNumber, formatSummary, summarize } from '../lib/stats'
import type { CheckerRunResult } from './checker-worker'

const DEVICE_COUNT = 100_000
const QUICK_DEVICE_COUNT = 20_000
const TARGET_MILLISECONDS = 500

export const checkerMeasure: Measure = {
  id: 'checker',
  title: 'Checker matching and evaluation',
  async run(context: MeasureContext): Promise<MeasureReport> {
    const count = context.quick ? QUICK_DEVICE_COUNT : DEVICE_COUNT
    const runs: CheckerRunResult[] = []
    for (let run = 0; run < context.runs; run += 1) {
      const result = await runJsonChild<CheckerRunResult>({
        name: `checker run over ${count} devices`,
        core: SERVER_CORE,
        command: process.execPath,
        args: ['--max-old-space-size=4096', path.join(context.benchDist, 'measures', 'checker-worker.js'), String(count), String(run + 1)],
        timeoutMs: 300_000,
      })
      if (!result.complete || result.results !== count) {
        throw new Error(`The checker poll over ${count} devices was incomplete or returned ${result.results} results, expected ${count}.`)
      }
      context.logger.info({ run: run + 1, pollMs: Math.round(result.pollMs), parseMs: Math.round(result.parseMs) }, 'checker run finished')
      runs.push(result)
    }

    const poll = summarize(runs.map((run) => run.pollMs))
    const parse = summarize(runs.map((run) => run.parseMs))
    const beyondParse = summarize(runs.map((run) => run.pollMs - run.parseMs))
    const first = runs[0] as CheckerRunResult
    const met = beyondParse.median < TARGET_MILLISECONDS
    const scaled = count === DEVICE_COUNT ? '' : ` (quick mode: ${formatNumber(count)} devices, so the target does not apply as stated)`

    const markdown = [
      `- Method: each run is a fresh Node process pinned with \`taskset -c ${SERVER_CORE}\`. It starts the emulator with ${formatNumber(count)} generated devices (default policies), fetches every v2 search page once over HTTP, closes the emulator, and mirrors each record into a Cloudflare device with the same serial. A \`PostureChecker\` with one rule then polls twice through an injected in-memory \`fetch\` (no sockets); the second poll is timed. The same process then times \`JSON.parse\` of every page once.`,
      `- The checker's public entry exports no pure matching or evaluation function, so "poll − parse" is the estimate of matching and evaluation: it also contains record reading, Response handling and result building.`,
      `- Pages: ${first.pages}, ${formatNumber(first.pageBytes / 1e6, 1)} MB in all; ${formatNumber(first.results)} results, ${formatNumber(first.passed)} passing. ${context.runs} run(s), median (min–max)${scaled}.`,
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
      table(['target', 'observed (median)', 'result'], [[`matching and evaluation < ${TARGET_MILLISECONDS} ms`, `${formatNumber(beyondParse.median)} ms`, metLabel(met)]]),
    ].join('\n')

    return {
      markdown,
      targets: [
        {
          measure: `checker matching and evaluation, ${formatNumber(count)} devices (poll − parse)`,
          target: `< ${TARGET_MILLISECONDS} ms`,
          observed: `${formatNumber(beyondParse.median)} ms`,
          met,
        },
      ],
    }
  },
}
