/**
 * Public entry of the scenario harness: load and validate scenario files,
 * run them on a virtual clock against the emulator and the checker, and
 * report the results.
 */
export { loadScenarioFiles, type LoadedScenario } from './loader'
export { formatScenarioError, validateScenarioText, type ScenarioError } from './validate'
export { runScenario, runScenarios, startScenarioEmulator, type RunOptions } from './runner'
export type { ResultRetention } from './retention'
export {
  buildCheckerConfig,
  buildCheckerOptions,
  buildCloudflareDevices,
  buildScenarioCheckerOptions,
  cloudflarePlatformOf,
  type IntegrationEndpoints,
} from './build'
export { gatewayRefreshAfter } from './expectations'
export { actionOf, applyTimelineStep, type StepTarget } from './steps'
export { selectShard } from './shard'
export { reporters } from './reporters'
export { VirtualClock, type ClockView } from './virtual-clock'
export { scenarioSchema, editorSchema, writeSchemaFile } from './schema'
export { parseDurationMs, formatDurationMs } from './duration'
export type { ExpectationResult, PollRecord, RunEvent, RunReport, ScenarioReport, ScenarioTimings } from './report'
export type * from './spec'
