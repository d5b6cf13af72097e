/**
 * Measure 6: wall time of the jest suite (`npx jest` on the already built
 * tree), unpinned so jest uses its default worker count.
 */
import { spawn } from 'node:child_process'
import { metLabel, table, type Measure, type MeasureContext, type MeasureReport } from '../lib/report'
import { formatNumber, formatSummary, summarize } from '../lib/stats'

const TARGET_SECONDS = 60
const RUN_TIMEOUT_MS = 10 * 60_000

interface JestRun {
  seconds: number
  exitCode: number | null
  /** jest's "Tests:" summary line, for example "Tests: 212 passed, 212 total". */
  summary: string
}

function runJest(repoRoot: string): Promise<JestRun> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint()
    const child = spawn('npx', ['jest'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: 'true' } })
    let output = ''
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-20_000)
    }
    child.stdout.on('data', keep)
    child.stderr.on('data', keep)
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS)
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(new Error(`npx jest failed to start: ${error.message}`))
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      const seconds = Number(process.hrtime.bigint() - started) / 1e9
      const summary = /^Tests:.*$/m.exec(output)?.[0] ?? 'no "Tests:" line in the output'
      resolve({ seconds, exitCode: code, summary })
    })
  })
}

export const jestMeasure: Measure = {
  id: 'jest',
  title: 'Test suite wall time',
  async run(context: MeasureContext): Promise<MeasureReport> {
    const runs: JestRun[] = []
    for (let run = 0; run < context.runs; run += 1) {
      const result = await runJest(context.repoRoot)
      context.logger.info({ run: run + 1, seconds: result.seconds.toFixed(1), exitCode: result.exitCode }, 'jest run finished')
      runs.push(result)
    }

    const seconds = summarize(runs.map((run) => run.seconds))
    const met = seconds.median < TARGET_SECONDS
    const last = runs[runs.length - 1] as JestRun
    const failedRuns = runs.filter((run) => run.exitCode !== 0).length
    const markdown = [
      `- Method: \`npx jest\` in the repository after \`npm run build\`, with CI=true, jest's default worker count and no core pinning. Wall time runs from spawn to exit, ${runs.length} run(s).`,
      `- Last run: ${last.summary}. ${failedRuns} of ${runs.length} run(s) exited non-zero.`,
      '',
      table(['measure', 'seconds', 'target', 'result'], [['`npx jest` wall time', formatSummary(seconds, 1), `< ${TARGET_SECONDS} s`, metLabel(met)]]),
    ].join('\n')

    return {
      markdown,
      targets: [{ measure: 'jest suite wall time', target: `< ${TARGET_SECONDS} s`, observed: `${formatNumber(seconds.median, 1)} s`, met }],
    }
  },
}
