/**
 * Measure 4: the scenario engine. One virtual day of 5-minute polls (288)
 * over 1k and 10k devices with a flag change every hour, run through the
 * harness's `runScenario`, next to the parse floor: `JSON.parse` of the same
 * page bodies as many times as the run fetched them, in the same process.
 */
import path from 'node:path'
import { runJsonChild, SERVER_CORE } from '../lib/proc'
import { PROFILE_ENV, renderProfile } from '../lib/profile'
import { metLabel, table, type Measure, type MeasureContext, type MeasureReport, type TargetCheck } from '../lib/report'
import { formatNumber, formatSummary, summarize } from '../lib/stats'
import type { ScenarioRunResult } from './scenario-worker'

interface Case {
  devices: number
  hours: number
}

const SMALL_TARGET_MS = 5000
const LARGE_MAX_FLOOR_RATIO = 1.5
/** A case whose first run (scenario plus parse floor) takes longer than this runs only once. */
const LONG_RUN_MS = 120_000
/** Virtual hours of the profiled run of a missed 10k target: the per-poll work is the same, at a twelfth of the time. */
const PROFILE_HOURS_LARGE = 2

function casesFor(quick: boolean): Case[] {
  // Quick mode keeps the full day for 1k devices and cuts 10k devices to two virtual hours.
  return quick
    ? [
        { devices: 1000, hours: 24 },
        { devices: 10_000, hours: 2 },
      ]
    : [
        { devices: 1000, hours: 24 },
        { devices: 10_000, hours: 24 },
      ]
}

/** Runs one scenario worker. With `profileFile`, `runScenario` runs under the CPU profiler. */
function runScenarioWorker(context: MeasureContext, scenarioCase: Case, profileFile?: string): Promise<ScenarioRunResult> {
  return runJsonChild<ScenarioRunResult>({
    name: `scenario run over ${scenarioCase.devices} devices`,
    core: SERVER_CORE,
    command: process.execPath,
    args: [
      '--max-old-space-size=8192',
      path.join(context.benchDist, 'measures', 'scenario-worker.js'),
      String(scenarioCase.devices),
      String(scenarioCase.hours),
    ],
    env: profileFile === undefined ? process.env : { ...process.env, [PROFILE_ENV]: profileFile },
    timeoutMs: 15 * 60_000,
  })
}

/** Profiles one run of `scenarioCase` and renders its top self-time functions. */
async function profileCase(context: MeasureContext, scenarioCase: Case): Promise<string> {
  const profileFile = path.join(context.workDir, `scenario-${scenarioCase.devices}.cpuprofile`)
  await runScenarioWorker(context, scenarioCase, profileFile)
  return renderProfile(
    `Profile of \`runScenario\` over ${formatNumber(scenarioCase.devices)} devices and ${scenarioCase.hours} virtual hours (V8 CPU profiler, emulator, checker and harness in one process).`,
    profileFile,
    context.repoRoot,
  )
}

export const scenarioMeasure: Measure = {
  id: 'scenario',
  title: 'Scenario engine: one virtual day of 5-minute polls',
  async run(context: MeasureContext): Promise<MeasureReport> {
    const rows: string[][] = []
    const targets: TargetCheck[] = []
    const failures: string[] = []
    const notes: string[] = []
    const profiles: string[] = []

    for (const scenarioCase of casesFor(context.quick)) {
      const runs: ScenarioRunResult[] = []
      for (let run = 0; run < context.runs; run += 1) {
        const result = await runScenarioWorker(context, scenarioCase)
        context.logger.info(
          { devices: scenarioCase.devices, run: run + 1, wallMs: Math.round(result.wallMs), parseFloorMs: Math.round(result.parseFloorMs), passed: result.passed },
          'scenario run finished',
        )
        if (!result.passed) {
          failures.push(`${formatNumber(scenarioCase.devices)} devices, run ${run + 1}: ${result.error ?? 'expectations failed'}`)
        }
        runs.push(result)
        const runMs = result.wallMs + result.parseFloorMs + result.fetchParseFloorMs
        if (runMs > LONG_RUN_MS && run + 1 < context.runs) {
          notes.push(
            `${formatNumber(scenarioCase.devices)} devices: one run took ${formatNumber(runMs / 1000)} s with its floors, over the ${LONG_RUN_MS / 1000} s limit per run, so this size ran once to keep the bench bounded.`,
          )
          break
        }
      }

      const wall = summarize(runs.map((run) => run.wallMs))
      const floor = summarize(runs.map((run) => run.parseFloorMs))
      const ratio = summarize(runs.map((run) => run.wallMs / run.parseFloorMs))
      const fetchFloor = summarize(runs.map((run) => run.fetchParseFloorMs))
      const fetchRatio = summarize(runs.map((run) => run.wallMs / run.fetchParseFloorMs))
      const first = runs[0] as ScenarioRunResult
      rows.push([
        formatNumber(scenarioCase.devices),
        `${scenarioCase.hours} h`,
        formatNumber(first.polls),
        formatNumber(first.requests),
        formatNumber(first.searchPagesFetched),
        formatNumber(first.responseBytes / 1e6),
        formatSummary(wall),
        formatSummary(summarize(runs.map((run) => run.virtualMs / run.wallMs))),
        formatSummary(floor),
        formatSummary(ratio, 2),
        formatSummary(fetchFloor),
        formatSummary(fetchRatio, 2),
      ])

      if (scenarioCase.hours !== 24) {
        continue
      }
      if (scenarioCase.devices === 1000) {
        const met = wall.median < SMALL_TARGET_MS
        targets.push({ measure: 'scenario day, 1k devices, wall time', target: `< ${SMALL_TARGET_MS} ms`, observed: `${formatNumber(wall.median)} ms`, met })
        if (!met) {
          profiles.push(await profileCase(context, scenarioCase))
        }
      } else {
        const met = ratio.median <= LARGE_MAX_FLOOR_RATIO
        targets.push({
          measure: `scenario day, ${formatNumber(scenarioCase.devices)} devices, wall / parse floor`,
          target: `≤ ${LARGE_MAX_FLOOR_RATIO}`,
          observed: formatNumber(ratio.median, 2),
          met,
        })
        if (!met) {
          profiles.push(await profileCase(context, { devices: scenarioCase.devices, hours: PROFILE_HOURS_LARGE }))
        }
      }
    }

    const markdown = [
      `- Method: each run is a fresh Node process pinned with \`taskset -c ${SERVER_CORE}\` (emulator, checker and harness share that one core, as in \`ws1sim run\`). It calls \`runScenario\` with a scenario object: a generated fleet with three policies, mirrored Cloudflare devices, one rule, a 5-minute interval, 288 polls over 23 h 55 min of virtual time, and one device's flag flipped every virtual hour. Wall time is measured around \`runScenario\`.`,
      '- Requests and bytes come from the emulator journal of each poll (response bytes). Speed-up is virtual time over wall time.',
      '- Parse floor: the same process then starts the scenario\'s emulator again (same seed and fleet, same virtual start), fetches every search page once with the checker\'s query and Accept header, and times `JSON.parse` of those bodies once per search page the run fetched. The flag flips change one record, so the bodies differ from the fetched ones by a few bytes at most.',
      '- Fetch + parse: on that emulator, the same process fetches each page the run fetched, one request at a time, reads the body as the checker does (`fetch`, `arrayBuffer`, `decodeBody`) and parses it, with no checker work. The gap between it and the parse floor is the cost of moving the pages through HTTP over loopback, which the scenario engine must pay; the gap between the wall time and it is the engine\'s own work.',
      `- ${context.runs} run(s) per size, median (min–max).${context.quick ? ' Quick mode runs 10k devices for two virtual hours only, so no target applies to it.' : ''}`,
      ...notes.map((note) => `- ${note}`),
      ...(failures.length > 0 ? [`- Runs whose scenario did not pass: ${failures.join('; ')}`] : []),
      '',
      table(['devices', 'virtual', 'polls', 'requests', 'search pages', 'MB moved', 'wall ms', 'speed-up ×', 'parse floor ms', 'wall / floor', 'fetch + parse ms', 'wall / fetch + parse'], rows),
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
