import { Journal, REDACTED, redactHeaders } from './journal'
import type { JournalEntry } from './types'

function entry(overrides: Partial<JournalEntry> = {}): Omit<JournalEntry, 'seq'> {
  return {
    time: 1000,
    method: 'GET',
    path: '/API/mdm/devices/search',
    query: {},
    tenant: 'Acme Corp',
    clientId: 'client-a',
    headers: {},
    status: 200,
    responseBytes: 10,
    tokenId: 'tok_1',
    tokenRejected: false,
    retryAfter: null,
    rateLimitRemaining: 10,
    faultId: null,
    durationMs: 1,
    ...overrides,
  }
}

describe('Journal', () => {
  it('keeps only the newest entries', () => {
    const journal = new Journal(3)
    for (let i = 0; i < 5; i++) journal.append(entry({ time: i }))
    const times = journal.list().map((item) => item.time)
    expect(times).toEqual([2, 3, 4])
    expect(journal.list().map((item) => item.seq)).toEqual([3, 4, 5])
    expect(journal.appended).toBe(5)
  })

  it('filters by every given field', () => {
    const journal = new Journal(10)
    journal.append(entry({ method: 'POST', path: '/connect/token', status: 400, clientId: 'x', time: 5 }))
    journal.append(entry({ status: 204, time: 10 }))
    journal.append(entry({ status: 200, clientId: 'client-b', time: 20 }))
    expect(journal.list({ method: 'post' })).toHaveLength(1)
    expect(journal.list({ path: 'DEVICES/SEARCH' })).toHaveLength(2)
    expect(journal.list({ status: 204 })).toHaveLength(1)
    expect(journal.list({ clientId: 'client-b' })).toHaveLength(1)
    expect(journal.list({ since: 10, until: 15 })).toHaveLength(1)
  })

  it('counts by status, path and client', () => {
    const journal = new Journal(10)
    journal.append(entry({ status: 200 }))
    journal.append(entry({ status: 401, tokenRejected: true }))
    journal.append(entry({ status: 504, faultId: 'fault-1', clientId: null }))
    const counts = journal.counts()
    expect(counts.total).toBe(3)
    expect(counts.byStatus).toEqual({ '200': 1, '401': 1, '504': 1 })
    expect(counts.byClient).toEqual({ 'client-a': 2 })
    expect(counts.tokenRejected).toBe(1)
    expect(counts.faulted).toBe(1)
  })

  it('clears entries', () => {
    const journal = new Journal(2)
    journal.append(entry())
    journal.clear()
    expect(journal.list()).toEqual([])
  })

  it('redacts raw headers on read', () => {
    const journal = new Journal(4)
    journal.append({
      ...entry(),
      headers: { authorization: 'Bearer secret-token', 'x-admin-token': 'admin', 'x-trace': ['a', 'b'] },
    })
    const [first] = journal.list()
    expect(first?.headers).toEqual({ authorization: REDACTED, 'x-admin-token': REDACTED, 'x-trace': 'a, b' })
    expect(JSON.stringify(journal.list())).not.toContain('secret-token')
    expect(journal.list()[0]).toBe(first)
  })

  it('keeps entry keys in order', () => {
    const journal = new Journal(2)
    journal.append(entry())
    expect(Object.keys(journal.list()[0] ?? {})).toEqual([
      'seq',
      'time',
      'method',
      'path',
      'query',
      'tenant',
      'clientId',
      'headers',
      'status',
      'responseBytes',
      'tokenId',
      'tokenRejected',
      'retryAfter',
      'rateLimitRemaining',
      'faultId',
      'durationMs',
    ])
  })

  it('counts without reading entries first', () => {
    const journal = new Journal(2)
    journal.append(entry({ path: '/a' }))
    journal.append(entry({ path: '/b' }))
    journal.append(entry({ path: '/c' }))
    expect(journal.counts().byPath).toEqual({ '/b': 1, '/c': 1 })
    expect(journal.list({ path: '/c' }).map((item) => item.seq)).toEqual([3])
  })

  it('rejects a capacity below one', () => {
    expect(() => new Journal(0)).toThrow('journalSize must be a positive integer')
  })
})

describe('redactHeaders', () => {
  it('replaces credentials and keeps other headers', () => {
    const redacted = redactHeaders({
      authorization: 'Bearer secret-token',
      'aw-tenant-code': 'KEY',
      cookie: 'a=b',
      accept: 'application/json;version=2',
    })
    expect(redacted['authorization']).toBe(REDACTED)
    expect(redacted['aw-tenant-code']).toBe(REDACTED)
    expect(redacted['cookie']).toBe(REDACTED)
    expect(redacted['accept']).toBe('application/json;version=2')
  })
})
