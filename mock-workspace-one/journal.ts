import type { IncomingHttpHeaders } from 'node:http'
import type { JournalEntry, JournalFilter } from './types'

export const DEFAULT_JOURNAL_SIZE = 10_000
export const REDACTED = '[redacted]'

/** Request headers whose values are credentials; the journal keeps only their presence. */
const SECRET_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'aw-tenant-code',
  'x-admin-token',
])

/** Copies request headers, replacing credentials with "[redacted]". */
export function redactHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const copy: Record<string, string> = {}
  for (const name of Object.keys(headers)) {
    const value = headers[name]
    if (value === undefined) continue
    copy[name] = SECRET_HEADERS.has(name) ? REDACTED : Array.isArray(value) ? value.join(', ') : value
  }
  return copy
}

/** Counts of journal entries, overall and per status, path, method and client. */
export interface JournalCounts {
  total: number
  byStatus: Record<string, number>
  byPath: Record<string, number>
  byMethod: Record<string, number>
  byClient: Record<string, number>
  tokenRejected: number
  faulted: number
}

/**
 * One request as appended: the fields of a journal entry without its
 * sequence number, and with the request headers as received. The journal
 * redacts the headers when the entry is first read.
 */
export type JournalRecord = Omit<JournalEntry, 'seq' | 'headers'> & { headers: IncomingHttpHeaders }

/**
 * Bounded request journal. A ring buffer keeps the newest `capacity`
 * entries, so appending is O(1) and memory stays flat on long runs.
 * Appending stores the caller's record as it is, because copying it and
 * redacting its headers on every request cost measurable CPU time on the
 * hot paths. The first read of an entry builds the redacted entry and drops
 * the record, so headers with credentials never leave the journal.
 */
export class Journal {
  private readonly records: Array<JournalRecord | undefined>
  private readonly entries: Array<JournalEntry | undefined>
  private readonly seqs: number[]
  private nextIndex = 0
  private size = 0
  private seq = 0

  constructor(readonly capacity: number = DEFAULT_JOURNAL_SIZE) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`journalSize must be a positive integer, got ${String(capacity)}`)
    }
    this.records = new Array<JournalRecord | undefined>(capacity)
    this.entries = new Array<JournalEntry | undefined>(capacity)
    this.seqs = new Array<number>(capacity).fill(0)
  }

  /**
   * Appends a request and assigns its sequence number. The journal keeps
   * `record` and its headers and query objects by reference, so the caller
   * must not change them afterwards.
   */
  append(record: JournalRecord): void {
    this.seq += 1
    this.records[this.nextIndex] = record
    this.entries[this.nextIndex] = undefined
    this.seqs[this.nextIndex] = this.seq
    this.nextIndex = (this.nextIndex + 1) % this.capacity
    if (this.size < this.capacity) this.size += 1
  }

  /** Entries oldest first; every given filter field must match. */
  list(filter: JournalFilter = {}): JournalEntry[] {
    const result: JournalEntry[] = []
    this.forEachMatch(filter, (index) => result.push(this.entryAt(index)))
    return result
  }

  counts(filter: JournalFilter = {}): JournalCounts {
    const counts: JournalCounts = {
      total: 0,
      byStatus: {},
      byPath: {},
      byMethod: {},
      byClient: {},
      tokenRejected: 0,
      faulted: 0,
    }
    this.forEachMatch(filter, (_index, entry) => {
      counts.total += 1
      increment(counts.byStatus, String(entry.status))
      increment(counts.byPath, entry.path)
      increment(counts.byMethod, entry.method)
      if (entry.clientId !== null) increment(counts.byClient, entry.clientId)
      if (entry.tokenRejected) counts.tokenRejected += 1
      if (entry.faultId !== null) counts.faulted += 1
    })
    return counts
  }

  /** Number of entries ever appended, including those the ring buffer dropped. */
  get appended(): number {
    return this.seq
  }

  clear(): void {
    this.records.fill(undefined)
    this.entries.fill(undefined)
    this.nextIndex = 0
    this.size = 0
  }

  /**
   * Calls `visit` oldest first with the ring index and the stored record or
   * entry of each slot that matches the filter. Both carry the filtered
   * fields, so filtering builds no redacted entries.
   */
  private forEachMatch(
    filter: JournalFilter,
    visit: (index: number, entry: JournalRecord | JournalEntry) => void,
  ): void {
    const start = (this.nextIndex - this.size + this.capacity) % this.capacity
    const pathNeedle = filter.path?.toLowerCase()
    const method = filter.method?.toUpperCase()
    for (let i = 0; i < this.size; i++) {
      const index = (start + i) % this.capacity
      const entry = this.entries[index] ?? this.records[index]
      if (entry === undefined) continue
      if (method !== undefined && entry.method !== method) continue
      if (pathNeedle !== undefined && !entry.path.toLowerCase().includes(pathNeedle)) continue
      if (filter.status !== undefined && entry.status !== filter.status) continue
      if (filter.clientId !== undefined && entry.clientId !== filter.clientId) continue
      if (filter.since !== undefined && entry.time < filter.since) continue
      if (filter.until !== undefined && entry.time > filter.until) continue
      visit(index, entry)
    }
  }

  /** Returns the redacted entry of a filled slot, building it on first read. */
  private entryAt(index: number): JournalEntry {
    const built = this.entries[index]
    if (built !== undefined) return built
    const record = this.records[index] as JournalRecord
    // The key order is the order of the JSON the control API sends.
    const entry: JournalEntry = {
      seq: this.seqs[index] as number,
      time: record.time,
      method: record.method,
      path: record.path,
      query: record.query,
      tenant: record.tenant,
      clientId: record.clientId,
      headers: redactHeaders(record.headers),
      status: record.status,
      responseBytes: record.responseBytes,
      tokenId: record.tokenId,
      tokenRejected: record.tokenRejected,
      retryAfter: record.retryAfter,
      rateLimitRemaining: record.rateLimitRemaining,
      faultId: record.faultId,
      durationMs: record.durationMs,
    }
    this.entries[index] = entry
    this.records[index] = undefined
    return entry
  }
}

function increment(table: Record<string, number>, key: string): void {
  table[key] = (table[key] ?? 0) + 1
}
