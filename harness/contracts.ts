/**
 * Client contracts checked from the emulator's request journal, so they apply
 * to any client, not only to what the checker reports about itself.
 */
import type { JournalEntry } from '../mock-workspace-one/types'
import type { PollRecord } from './report'

/** Outcome of one contract: whether it held, and the violations that broke it. */
export interface ContractVerdict {
  held: boolean
  detail: string
}

/** The devices/search page size cap of Workspace ONE. */
const MAX_PAGE_SIZE = 500

const isTokenRequest = (entry: JournalEntry): boolean => /connect\/token|oauth/i.test(entry.path)
const isSearch = (entry: JournalEntry): boolean => entry.method === 'GET' && /devices\/search$/i.test(entry.path)

function queryValue(entry: JournalEntry, key: string): string | undefined {
  for (const [name, value] of Object.entries(entry.query)) if (name.toLowerCase() === key) return value
  return undefined
}

/** Converts a Retry-After value (delta seconds or an HTTP date) to milliseconds from `sentAt`. */
export function retryAfterMs(value: string, sentAt: number): number | undefined {
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - sentAt)
}

function allEntries(polls: PollRecord[]): JournalEntry[] {
  return polls.flatMap((poll) => poll.journal).sort((a, b) => a.seq - b.seq)
}

function describeEntry(entry: JournalEntry, startMs: number): string {
  const query = Object.entries(entry.query).map(([key, value]) => `${key}=${value}`).join('&')
  return `${entry.method} ${entry.path}${query ? `?${query}` : ''} -> ${entry.status} at +${(entry.time - startMs) / 1000}s`
}

function verdict(violations: string[], okDetail: string): ContractVerdict {
  if (violations.length === 0) return { held: true, detail: okDetail }
  const shown = violations.slice(0, 3).join('; ')
  return { held: false, detail: violations.length > 3 ? `${shown}; and ${violations.length - 3} more` : shown }
}

/** Checks that the same client sent no request before a Retry-After (429 or 503) had elapsed. */
export function honouredRetryAfter(polls: PollRecord[], startMs: number): ContractVerdict {
  const entries = allEntries(polls)
  const violations: string[] = []
  let waits = 0
  entries.forEach((entry, index) => {
    if (entry.retryAfter === null || (entry.status !== 429 && entry.status !== 503)) return
    const waitMs = retryAfterMs(entry.retryAfter, entry.time)
    if (waitMs === undefined) return
    waits++
    const until = entry.time + waitMs
    const early = entries
      .slice(index + 1)
      .find((later) => later.clientId === entry.clientId && later.time < until && isTokenRequest(later) === isTokenRequest(entry))
    if (early !== undefined) {
      violations.push(`${describeEntry(early, startMs)} came before Retry-After ${entry.retryAfter} of ${describeEntry(entry, startMs)} had elapsed`)
    }
  })
  return verdict(violations, `${waits} Retry-After answer${waits === 1 ? '' : 's'}, each honoured`)
}

/**
 * Checks that each poll fetched every search page at most once, and that a
 * complete poll reached the last page the tenant's record count implies. A
 * page whose 2xx response a fault shaped (a premature 204, a delay) may be
 * fetched again, and so may page 0 once after a 204: the checker retries an
 * empty first page when its last sync saw records.
 *
 * A client that sees `Total` change between pages should start over at page
 * 0, and the journal does not store `Total`. So a second pass counts as a
 * restart, not as repeats, when all of these are true:
 * - its request for page 0 directly follows a 200 for a later page;
 * - it is the only such pass in the poll;
 * - the tenant's record count at the end of the poll differs from the count
 *   at its start, so `Total` changed during the poll.
 * After a restart, a complete poll must reach the last page of the count at
 * the end of the poll within the second pass.
 */
export function pagedToEnd(polls: PollRecord[]): ContractVerdict {
  const violations: string[] = []
  let checked = 0
  let restarts = 0
  for (const poll of polls) {
    const searches = poll.journal.filter(isSearch)
    if (searches.length === 0) continue
    checked++
    const passes = splitPasses(searches)
    const restarted = passes.length === 2 && poll.ws1DevicesAtEnd !== poll.ws1DevicesAtStart
    if (restarted) restarts++
    const checkedPasses = restarted ? passes : [searches]
    for (const pass of checkedPasses) {
      for (const [page, count] of countCleanAnswers(pass)) {
        if (count > 1 + (page === 0 && retriedEmptyFirstPage(pass) ? 1 : 0)) violations.push(`poll ${poll.poll} fetched page ${page} ${count} times`)
      }
    }
    if (poll.outcome.complete) {
      const lastPass = checkedPasses.at(-1) ?? searches
      const records = restarted ? poll.ws1DevicesAtEnd : poll.ws1DevicesAtStart
      const lastPage = Math.max(0, Math.ceil(records / pageSizeOf(searches)) - 1)
      const answered = answeredPages(lastPass)
      const missing: number[] = []
      for (let page = 0; page <= lastPage; page++) if (!answered.has(page)) missing.push(page)
      if (missing.length > 0) {
        violations.push(`poll ${poll.poll} reported complete but never fetched page${missing.length === 1 ? '' : 's'} ${missing.slice(0, 5).join(', ')} of 0..${lastPage}`)
      }
    }
  }
  const restartNote = restarts === 0 ? '' : `, ${restarts} after a record count change restarted at page 0`
  return verdict(violations, `${checked} poll${checked === 1 ? '' : 's'} paged to the end without repeats${restartNote}`)
}

function pageOf(entry: JournalEntry): number {
  return Number(queryValue(entry, 'page') ?? '0')
}

/** Page size of a poll's search requests: the last one requested, capped at the Workspace ONE maximum. */
function pageSizeOf(searches: JournalEntry[]): number {
  const last = searches.at(-1)
  const requested = last === undefined ? MAX_PAGE_SIZE : Number(queryValue(last, 'pagesize') ?? String(MAX_PAGE_SIZE))
  return Math.min(Number.isFinite(requested) && requested > 0 ? requested : MAX_PAGE_SIZE, MAX_PAGE_SIZE)
}

/** Splits a poll's search requests into passes. A new pass starts at a request for page 0 right after a 200 for a later page. */
function splitPasses(searches: JournalEntry[]): JournalEntry[][] {
  const passes: JournalEntry[][] = [[]]
  let previous: JournalEntry | undefined
  for (const entry of searches) {
    if (previous !== undefined && pageOf(entry) === 0 && previous.status === 200 && pageOf(previous) > 0) passes.push([])
    passes.at(-1)?.push(entry)
    previous = entry
  }
  return passes
}

/** True when the pass's first response for page 0 was a 204, so a client may fetch page 0 once more. */
function retriedEmptyFirstPage(pass: JournalEntry[]): boolean {
  return pass.find((entry) => pageOf(entry) === 0 && (entry.status === 200 || entry.status === 204))?.status === 204
}

/** Pages that got a 200 or 204. */
function answeredPages(searches: JournalEntry[]): Set<number> {
  return new Set(searches.filter((entry) => entry.status === 200 || entry.status === 204).map(pageOf))
}

/** Number of 200 or 204 responses per page that no fault shaped. */
function countCleanAnswers(searches: JournalEntry[]): Map<number, number> {
  const counts = new Map<number, number>()
  for (const entry of searches) {
    if ((entry.status !== 200 && entry.status !== 204) || entry.faultId !== null) continue
    const page = pageOf(entry)
    counts.set(page, (counts.get(page) ?? 0) + 1)
  }
  return counts
}

/**
 * Checks that no request carried an expired or revoked token, except at most
 * one per poll, and that the client followed every rejected request with a
 * token request before any further API call. Rejections a fault caused do not
 * count toward the one per poll, because the client could not foresee them.
 * A fault caused a rejection when the entry names one of `expireTokenFaults`,
 * the ids of `expire-token` faults. Other effects such as a delay tag entries
 * too, so a fault id alone proves nothing. A rejection also counts as the
 * fault's when its token is one such a fault already made the tenant reject
 * in this poll.
 */
export function refreshedTokenBeforeExpiry(
  polls: PollRecord[],
  startMs: number,
  expireTokenFaults: ReadonlySet<string> = new Set(),
): ContractVerdict {
  const violations: string[] = []
  let rejected = 0
  let injected = 0
  for (const poll of polls) {
    const entries = poll.journal
    const rejections = entries.filter((entry) => entry.tokenRejected)
    const expiredByFault = (entry: JournalEntry): boolean => entry.faultId !== null && expireTokenFaults.has(entry.faultId)
    const faultTokens = new Set(rejections.filter((entry) => expiredByFault(entry) && entry.tokenId !== null).map((entry) => entry.tokenId))
    const byFault = rejections.filter((entry) => expiredByFault(entry) || (entry.tokenId !== null && faultTokens.has(entry.tokenId)))
    const byClient = rejections.length - byFault.length
    rejected += rejections.length
    injected += byFault.length
    if (byClient > 1) violations.push(`poll ${poll.poll} sent ${byClient} requests with an expired or revoked token that no fault expired`)
    for (const rejection of rejections) {
      const next = entries.find((entry) => entry.seq > rejection.seq && entry.clientId === rejection.clientId)
      if (next !== undefined && !isTokenRequest(next)) {
        violations.push(`after ${describeEntry(rejection, startMs)} the client sent ${describeEntry(next, startMs)} instead of requesting a new token`)
      }
    }
  }
  const injectedNote = injected === 0 ? '' : ` (${injected} caused by a fault)`
  const okDetail = rejected === 0 ? 'no request carried an expired token' : `${rejected} expired-token request${rejected === 1 ? '' : 's'}${injectedNote}, each followed by a refresh`
  return verdict(violations, okDetail)
}

/** Checks that the tenant's own rate limits produced no 429 response; 429s from faults do not count. */
export function withinRateLimit(polls: PollRecord[], startMs: number): ContractVerdict {
  const throttled = allEntries(polls).filter((entry) => entry.status === 429 && entry.faultId === null)
  return verdict(
    throttled.map((entry) => `${describeEntry(entry, startMs)} was throttled by the tenant's rate limit`),
    'no request was throttled by the rate limit',
  )
}
