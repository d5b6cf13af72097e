/**
 * Decides which polls of a run keep their posture results in the report.
 *
 * A virtual day of 5-minute polls over 10,000 devices yields almost three
 * million results. Held to the end of the run they fill the heap and make
 * garbage collection the slowest part of the day. The expectations read the
 * results of few polls: the last one, those named by `after_poll` and the last
 * poll finished by each `at`. For each latency change they read the last poll
 * that started before it and the first poll that reports it. Every other poll keeps its counts and drops its results once a
 * later poll has finished. The `verdicts` events still carry every poll's
 * results while the run goes on.
 */
import { parseDurationMs } from './duration'
import { reportsLatencyChange } from './expectations'
import type { PollRecord } from './report'
import type { ExpectSection, LatencyExpectation } from './spec'

/** Retention setting of a run's report: every poll's results, or only those the expectations read. */
export type ResultRetention = 'all' | 'needed'

export class ResultsKeeper {
  readonly #afterPolls = new Set<number>()
  readonly #atMs: number[] = []
  /** `change_at` times of the latency expectations, in virtual ms. */
  readonly #changeMs: number[] = []
  /** Latency expectations whose reporting poll has not been seen yet. */
  #pendingLatency: LatencyExpectation[]
  /** Polls that reported a latency change, which the latency check reads. */
  readonly #latencyPolls = new Set<PollRecord>()
  #newest: PollRecord | undefined

  constructor(expect: ExpectSection | undefined) {
    for (const when of [...(expect?.devices ?? []), ...(expect?.counts ?? [])]) {
      if (when.after_poll !== undefined) this.#afterPolls.add(when.after_poll)
      if (when.at !== undefined) this.#atMs.push(parseDurationMs(when.at) ?? 0)
    }
    this.#pendingLatency = [...(expect?.latency ?? [])]
    for (const latency of this.#pendingLatency) this.#changeMs.push(parseDurationMs(latency.change_at) ?? 0)
  }

  /**
   * Takes the newest poll of the run, right after it is recorded. The poll
   * before it drops its results here unless an expectation reads them.
   */
  add(record: PollRecord): void {
    if (this.#pendingLatency.length > 0) {
      const reported = this.#pendingLatency.filter((expectation) => reportsLatencyChange(expectation, record))
      if (reported.length > 0) {
        this.#latencyPolls.add(record)
        this.#pendingLatency = this.#pendingLatency.filter((expectation) => !reported.includes(expectation))
      }
    }
    const previous = this.#newest
    this.#newest = record
    if (previous !== undefined && !this.#isRead(previous, record)) releaseResults(previous)
  }

  /** True when an expectation reads the results of `poll`, given the poll that followed it. */
  #isRead(poll: PollRecord, next: PollRecord): boolean {
    if (this.#afterPolls.has(poll.poll) || this.#latencyPolls.has(poll)) return true
    // `at` selects the last poll finished by that time: this one, when the next one finished later.
    if (this.#atMs.some((atMs) => poll.finishedAtMs <= atMs && next.finishedAtMs > atMs)) return true
    // A latency check reads the last poll that started before `change_at`: this one, when the next one started at or after it.
    return this.#changeMs.some((changeMs) => poll.startedAtMs < changeMs && next.startedAtMs >= changeMs)
  }
}

/** Empties a poll's results. Its `resultCount` and `counts` still give their number. */
function releaseResults(record: PollRecord): void {
  if (!record.resultsKept) return
  record.outcome = { ...record.outcome, results: [] }
  record.resultsKept = false
}
