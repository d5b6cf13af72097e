/**
 * Measure 6: wall time of the jest suite (`npx jest` on the already built
 * tree), unpinned so jest uses its default worker count.
 */
import { spawn } from 'node:child_process'
import { metLabel, table, type Measure, type MeasureContext, type MeasureReport } from '../lib/report'
import { formatNumber, formatSummary, summarize } from '../lib/stats'

const TARGET_SECONDS = 60
const RUN_TIMEOUT_MS = 10 * 60_000

/** Time jest may keep running after printing its summary before the bench stops it. */
const EXIT_GRACE_MS = 15_000

interface JestRun {
  /** Spawn to exit, or spawn to summary line when jest had to be stopped. */
  seconds: number
  exitCode: number | null
  /** jest's "Tests:" summary line, for example "Tests: 212 passed, 212 total". */
  summary: string
  /** True when jest printed its summary but did not exit (open handles) and was stopped. */
  hung: boolean
  timedOut: boolean
}

/**
 * Runs `npx jest` in its own process group, so the bench can stop jest and
 * its workers together when jest does not exit after its summary.
 */
function runJest(repoRoot: string): Promise<JestRun> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint()
    const elapsedSeconds = (): number => Number(process.hrtime.bigint() - started) / 1e9
    const child = spawn('npx', ['jest'], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CI: 'true' },
      detached: true,
    })
    let output = ''
    let summarySeconds: number | undefined
    let hung = false
    let timedOut = false
    let graceTimer: NodeJS.Timeout | undefined

    const stopGroup = (): void => {
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL')
        } catch {
          // The group has already exited.
        }
      }
    }
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-20_000)
      if (summarySeconds === undefined && /^Tests:/m.test(output)) {
        summarySeconds = elapsedSeconds()
        graceTimer = setTimeout(() => {
          hung = true
          stopGroup()
        }, EXIT_GRACE_MS)
      }
    }
    child.stdout.on('data', keep)
    child.stderr.on('data', keep)
    const timer = setTimeout(() => {
      timedOut = true
      stopGroup()
    }, RUN_TIMEOUT_MS)

    child.once('error', (error) => {
      clearTimeout(timer)
      reject(new Error(`npx jest failed to start: ${error.message}`))
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      clearTimeout(graceTimer)
      const summary = /^Tests:.*$/m.exec(output)?.[0] ?? 'no "Tests:" line in the output'
      const seconds = hung && summarySeconds !== undefined ? summarySeconds : elapsedSeconds()
      resolve({ seconds, exitCode: code, summary, hung, timedOut })
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
      context.logger.info(
        { run: run + 1, seconds: result.seconds.toFixed(1), exitCode: result.exitCode, hung: result.hung, timedOut: result.timedOut },
        'jest run finished',
      )
      if (result.timedOut) {
        throw new Error(`npx jest timed out after ${RUN_TIMEOUT_MS / 60_000} minutes and was stopped. Last summary: ${result.summary}`)
      }
      runs.push(result)
    }

    const seconds = summarize(runs.map((run) => run.seconds))
    const met = seconds.median < TARGET_SECONDS
    const last = runs[runs.length - 1] as JestRun
    const failedRuns = runs.filter((run) => run.exitCode !== 0 && !run.hung).length
    const hungRuns = runs.filter((run) => run.hung).length
    const markdown = [
      `- Method: \`npx jest\` in the repository after \`npm run build\`, with CI=true, jest's default worker count and no core pinning. Wall time runs from spawn to exit, ${runs.length} run(s).`,
      `- Last run: ${last.summary}. ${failedRuns} of ${runs.length} run(s) exited non-zero.`,
      ...(hungRuns > 0
        ? [
            `- In ${hungRuns} of ${runs.length} run(s) jest printed its summary but did not exit within ${EXIT_GRACE_MS / 1000} s (a test left a handle open, such as a server or timer), so the bench stopped it. Those runs count the time up to the summary.`,
          ]
        : []),
      '',
      table(['measure', 'seconds', 'target', 'result'], [['`npx jest` wall time', formatSummary(seconds, 1), `< ${TARGET_SECONDS} s`, metLabel(met)]]),
    ].join('\n')

    return {
      markdown,
      targets: [{ measure: 'jest suite wall time', target: `< ${TARGET_SECONDS} s`, observed: `${formatNumber(seconds.median, 1)} s`, met }],
    }
  },
}
