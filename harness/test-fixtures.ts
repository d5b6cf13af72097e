/** Builders of fake poll records for unit tests of expectations, contracts and reporters. */
import type { JournalEntry } from '../mock-workspace-one/types'
import type { PollOutcome, PostureResult } from '../posture-checker/types'
import type { PollRecord } from './report'

export const START_MS = Date.UTC(2024, 0, 1)

export function fakeResult(overrides: Partial<PostureResult> & { DeviceID: string }): PostureResult {
  return {
    ClientVersion: '',
    DeviceManufacturer: '',
    DeviceModel: '',
    DeviceName: '',
    DeviceSerialNumber: `SER-${overrides.DeviceID}`,
    DeviceType: 'windows',
    Email: '',
    OSVersion: '',
    PolicyID: 'rule-1',
    PostureCheckName: 'Workspace ONE compliant',
    PostureCheckType: 'workspace_one',
    PostureEvaluatedResult: true,
    PostureExpectedJSON: '{"compliance_status":"compliant"}',
    PostureReceivedJSON: '{"compliance_status":"compliant"}',
    Timestamp: new Date(START_MS).toISOString(),
    UserUID: '',
    status: 'compliant',
    reason: 'all_flags_pass',
    detail: 'every compliance flag passes',
    matchedWs1Id: 1,
    matchedWs1Uuid: 'u-1',
    fresh: true,
    evaluatedAt: new Date(START_MS).toISOString(),
    poll: 1,
    ...overrides,
  }
}

let seq = 0

export function fakeEntry(overrides: Partial<JournalEntry> & { time: number }): JournalEntry {
  seq++
  return {
    seq,
    method: 'GET',
    path: '/API/mdm/devices/search',
    query: { page: '0', pagesize: '500' },
    tenant: 'Acme',
    clientId: 'ws1sim-client',
    headers: {},
    status: 200,
    responseBytes: 100,
    tokenId: 't-1',
    tokenRejected: false,
    retryAfter: null,
    rateLimitRemaining: null,
    faultId: null,
    durationMs: 0,
    ...overrides,
  }
}

export function fakePoll(
  poll: number,
  atMs: number,
  results: PostureResult[],
  options: { journal?: JournalEntry[]; outcome?: Partial<PollOutcome>; ws1DevicesAtStart?: number; ws1DevicesAtEnd?: number; durationMs?: number } = {},
): PollRecord {
  const finishedAtMs = atMs + (options.durationMs ?? 0)
  return {
    poll,
    startedAtMs: atMs,
    finishedAtMs,
    outcome: {
      poll,
      startedAt: START_MS + atMs,
      finishedAt: START_MS + finishedAtMs,
      complete: true,
      requests: options.journal?.length ?? 0,
      pages: 1,
      ws1Records: results.length,
      results,
      ...options.outcome,
    },
    journal: options.journal ?? [],
    ws1DevicesAtStart: options.ws1DevicesAtStart ?? results.length,
    ws1DevicesAtEnd: options.ws1DevicesAtEnd ?? options.ws1DevicesAtStart ?? results.length,
    resultCount: results.length,
    counts: {
      compliant: results.filter((result) => result.status === 'compliant').length,
      noncompliant: results.filter((result) => result.status === 'noncompliant').length,
      unknown: results.filter((result) => result.status === 'unknown').length,
    },
    resultsKept: true,
  }
}
