/** Report and event types of a scenario run. */
import type { JournalEntry } from '../mock-workspace-one/types'
import type { PollOutcome, PostureResult } from '../posture-checker/types'

/** One checked expectation: what was expected and what the run produced. */
export interface ExpectationResult {
  /** Key path of the expectation in the scenario, for example expect.devices[2]. */
  id: string
  /** Short readable statement, for example "d-0700 status after poll 3". */
  title: string
  passed: boolean
  expected: string
  actual: string
}

/** One poll as the runner saw it. */
export interface PollRecord {
  /** 1-based poll number of this run. */
  poll: number
  /** Virtual milliseconds since the scenario start. */
  startedAtMs: number
  finishedAtMs: number
  outcome: PollOutcome
  /** Emulator journal entries of the requests this poll made. */
  journal: JournalEntry[]
  /** Workspace ONE records in the tenant when the poll started. */
  ws1DevicesAtStart: number
  /** Workspace ONE records in the tenant when the poll ended; differs from the start when the fleet changed during the poll. */
  ws1DevicesAtEnd: number
  /** Number of posture results the poll produced, also when they were not kept. */
  resultCount: number
  /** Results by status, also when they were not kept. */
  counts: Record<'compliant' | 'noncompliant' | 'unknown', number>
  /**
   * False when `outcome.results` was emptied because no expectation reads
   * this poll (RunOptions.keepResults 'needed', the default). The poll's
   * `verdicts` event carried the results during the run.
   */
  resultsKept: boolean
}

export interface ScenarioTimings {
  wallMs: number
  virtualMs: number
  requests: number
  polls: number
}

export interface ScenarioReport {
  file: string
  name: string
  index: number
  description?: string
  passed: boolean
  /** Set when the run itself failed (a step could not be applied, a part threw). */
  error?: string
  expectations: ExpectationResult[]
  polls: PollRecord[]
  timings: ScenarioTimings
}

export interface RunReport {
  scenarios: ScenarioReport[]
  total: number
  passed: number
  failed: number
  wallMs: number
}

/** Progress events for live output such as `ws1sim demo`; times are virtual ms since the start. */
export type RunEvent =
  | { type: 'scenario-start'; name: string; file: string }
  | { type: 'step'; atMs: number; index: number; action: string; detail: string }
  | { type: 'poll-start'; atMs: number; poll: number }
  | { type: 'request'; atMs: number; poll: number; method: string; path: string; status: number; query: Record<string, string> }
  | { type: 'token'; atMs: number; poll: number; status: number }
  | { type: 'page'; atMs: number; poll: number; page: number; status: number }
  | {
      type: 'poll-end'
      atMs: number
      poll: number
      complete: boolean
      error?: { kind: string; code?: string; message: string }
      requests: number
      pages: number
      ws1Records: number
      counts: Record<'compliant' | 'noncompliant' | 'unknown', number>
    }
  | { type: 'verdicts'; atMs: number; poll: number; results: PostureResult[] }
  | { type: 'expectation'; result: ExpectationResult }
  | { type: 'scenario-end'; passed: boolean; timings: ScenarioTimings }
