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
 * Bounded request journal. A ring buffer keeps the newest `capacity`
 * entries, so appending is O(1) and memory stays flat on long runs.
 */
export class Journal {
  private readonly entries: Array<JournalEntry | undefined>
  private nextIndex = 0
  private size = 0
  private seq = 0

  constructor(readonly capacity: number = DEFAULT_JOURNAL_SIZE) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`journalSize must be a positive integer, got ${String(capacity)}`)
    }
    this.entries = new Array<JournalEntry | undefined>(capacity)
  }

  /** Appends an entry, assigning its sequence number, and returns it. */
  append(entry: Omit<JournalEntry, 'seq'>): JournalEntry {
    this.seq += 1
    const stored: JournalEntry = { seq: this.seq, ...entry }
    this.entries[this.nextIndex] = stored
    this.nextIndex = (this.nextIndex + 1) % this.capacity
    if (this.size < this.capacity) this.size += 1
    return stored
  }

  /** Entries oldest first; every given filter field must match. */
  list(filter: JournalFilter = {}): JournalEntry[] {
    const result: JournalEntry[] = []
    const start = (this.nextIndex - this.size + this.capacity) % this.capacity
    const pathNeedle = filter.path?.toLowerCase()
    const method = filter.method?.toUpperCase()
    for (let i = 0; i < this.size; i++) {
      const entry = this.entries[(start + i) % this.capacity]
      if (entry === undefined) continue
      if (method !== undefined && entry.method !== method) continue
      if (pathNeedle !== undefined && !entry.path.toLowerCase().includes(pathNeedle)) continue
      if (filter.status !== undefined && entry.status !== filter.status) continue
      if (filter.clientId !== undefined && entry.clientId !== filter.clientId) continue
      if (filter.since !== undefined && entry.time < filter.since) continue
      if (filter.until !== undefined && entry.time > filter.until) continue
      result.push(entry)
    }
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
    for (const entry of this.list(filter)) {
      counts.total += 1
      increment(counts.byStatus, String(entry.status))
      increment(counts.byPath, entry.path)
      increment(counts.byMethod, entry.method)
      if (entry.clientId !== null) increment(counts.byClient, entry.clientId)
      if (entry.tokenRejected) counts.tokenRejected += 1
      if (entry.faultId !== null) counts.faulted += 1
    }
    return counts
  }

  /** Number of entries ever appended, including those the ring buffer dropped. */
  get appended(): number {
    return this.seq
  }

  clear(): void {
    this.entries.fill(undefined)
    this.nextIndex = 0
    this.size = 0
  }
}

function increment(table: Record<string, number>, key: string): void {
  table[key] = (table[key] ?? 0) + 1
}
