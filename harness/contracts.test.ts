import { honouredRetryAfter, pagedToEnd, refreshedTokenBeforeExpiry, retryAfterMs, withinRateLimit } from './contracts'
import { START_MS, fakeEntry, fakePoll } from './test-fixtures'

const page = (number: number, time = START_MS, extra: Parameters<typeof fakeEntry>[0] = { time }) =>
  fakeEntry({ ...extra, time, query: { page: String(number), pagesize: '500' } })

describe('honouredRetryAfter', () => {
  test('request after the wait holds', () => {
    const journal = [page(3, START_MS, { time: START_MS, status: 429, retryAfter: '30', faultId: 'f' }), page(3, START_MS + 30_000)]

    expect(honouredRetryAfter([fakePoll(1, 0, [], { journal })], START_MS).held).toBe(true)
  })

  test('request before the wait is a violation', () => {
    const journal = [page(3, START_MS, { time: START_MS, status: 429, retryAfter: '30', faultId: 'f' }), page(3, START_MS + 29_999)]
    const verdict = honouredRetryAfter([fakePoll(1, 0, [], { journal })], START_MS)

    expect(verdict.held).toBe(false)
    expect(verdict.detail).toContain('before Retry-After 30')
  })

  test('HTTP-date Retry-After', () => {
    expect(retryAfterMs(new Date(START_MS + 5000).toUTCString(), START_MS)).toBe(5000)
    expect(retryAfterMs('12', START_MS)).toBe(12_000)
    expect(retryAfterMs('soon', START_MS)).toBeUndefined()
  })
})

describe('pagedToEnd', () => {
  test('every page once holds', () => {
    const journal = [page(0), page(1), page(2)]

    expect(pagedToEnd([fakePoll(1, 0, [], { journal, ws1DevicesAtStart: 1173 })]).held).toBe(true)
  })

  test('one retry of an empty page 0 holds', () => {
    const journal = [page(0, START_MS, { time: START_MS, status: 204 }), page(0, START_MS, { time: START_MS, status: 204 })]

    expect(pagedToEnd([fakePoll(1, 0, [], { journal, ws1DevicesAtStart: 0 })]).held).toBe(true)
  })

  test('a third empty page 0 is a violation', () => {
    const empty = { time: START_MS, status: 204 }
    const journal = [page(0, START_MS, empty), page(0, START_MS, empty), page(0, START_MS, empty)]

    expect(pagedToEnd([fakePoll(1, 0, [], { journal, ws1DevicesAtStart: 0 })]).detail).toContain('fetched page 0 3 times')
  })

  test('stopping early in a complete poll is a violation', () => {
    const journal = [page(0), page(1)]
    const verdict = pagedToEnd([fakePoll(1, 0, [], { journal, ws1DevicesAtStart: 1173 })])

    expect(verdict.held).toBe(false)
    expect(verdict.detail).toContain('never fetched page 2 of 0..2')
  })

  test('fetching a page twice is a violation', () => {
    const journal = [page(0), page(0)]

    expect(pagedToEnd([fakePoll(1, 0, [], { journal, ws1DevicesAtStart: 10 })]).held).toBe(false)
  })

  test('refetching a faulted page holds', () => {
    const journal = [page(0), page(1, START_MS, { time: START_MS, status: 204, faultId: 'premature' }), page(1), page(2)]

    expect(pagedToEnd([fakePoll(1, 0, [], { journal, ws1DevicesAtStart: 1173 })]).held).toBe(true)
  })

  test('one restart after a count change holds', () => {
    // The fleet grows from 1000 to 1001 records while page 1 is served, so Total changes and the client starts over.
    const journal = [page(0), page(1, START_MS, { time: START_MS, faultId: 'grow' }), page(0), page(1), page(2)]
    const verdict = pagedToEnd([fakePoll(1, 0, [], { journal, ws1DevicesAtStart: 1000, ws1DevicesAtEnd: 1001 })])

    expect(verdict.held).toBe(true)
    expect(verdict.detail).toBe('1 poll paged to the end without repeats, 1 after a record count change restarted at page 0')
  })

  test('restart without a count change is a violation', () => {
    const journal = [page(0), page(1), page(0), page(1)]
    const verdict = pagedToEnd([fakePoll(1, 0, [], { journal, ws1DevicesAtStart: 1000 })])

    expect(verdict.held).toBe(false)
    expect(verdict.detail).toContain('poll 1 fetched page 0 2 times')
  })

  test('second restart is a violation', () => {
    const journal = [page(0), page(1), page(0), page(1), page(0), page(1), page(2)]
    const verdict = pagedToEnd([fakePoll(1, 0, [], { journal, ws1DevicesAtStart: 1000, ws1DevicesAtEnd: 1001 })])

    expect(verdict.held).toBe(false)
    expect(verdict.detail).toContain('poll 1 fetched page 0 3 times')
  })

  test('repeat within the restarted pass is a violation', () => {
    const journal = [page(0), page(1), page(0), page(0), page(1), page(2)]
    const verdict = pagedToEnd([fakePoll(1, 0, [], { journal, ws1DevicesAtStart: 1000, ws1DevicesAtEnd: 1001 })])

    expect(verdict.held).toBe(false)
    expect(verdict.detail).toContain('poll 1 fetched page 0 2 times')
  })

  test('restarted pass must reach the new last page', () => {
    // 1001 records need pages 0..2; the first pass reached page 2 but the second stopped at page 1.
    const journal = [page(0), page(1), page(2), page(0), page(1)]
    const verdict = pagedToEnd([fakePoll(1, 0, [], { journal, ws1DevicesAtStart: 1000, ws1DevicesAtEnd: 1001 })])

    expect(verdict.held).toBe(false)
    expect(verdict.detail).toContain('never fetched page 2 of 0..2')
  })

  test('page 0 after a failed later page is no restart', () => {
    const journal = [page(0), page(1, START_MS, { time: START_MS, status: 500 }), page(0), page(1), page(2)]
    const verdict = pagedToEnd([fakePoll(1, 0, [], { journal, ws1DevicesAtStart: 1000, ws1DevicesAtEnd: 1001 })])

    expect(verdict.held).toBe(false)
    expect(verdict.detail).toContain('poll 1 fetched page 0 2 times')
  })

  test('incomplete poll need not reach the end', () => {
    const journal = [page(0), page(1, START_MS, { time: START_MS, status: 500 })]
    const poll = fakePoll(1, 0, [], { journal, ws1DevicesAtStart: 1173, outcome: { complete: false } })

    expect(pagedToEnd([poll]).held).toBe(true)
  })
})

describe('refreshedTokenBeforeExpiry', () => {
  /** Ids of the expire-token faults in these journals. Other fault ids are effects such as a delay. */
  const EXPIRE_TOKEN_FAULTS = new Set(['exp1', 'exp2'])

  const token = (time: number) => fakeEntry({ time, method: 'POST', path: '/connect/token', query: {} })

  test('one rejection followed by a token request holds', () => {
    const journal = [page(0), page(1, START_MS, { time: START_MS, status: 401, tokenRejected: true }), token(START_MS), page(1)]

    expect(refreshedTokenBeforeExpiry([fakePoll(1, 0, [], { journal })], START_MS).held).toBe(true)
  })

  test('rejection followed by another API call is a violation', () => {
    const journal = [page(0, START_MS, { time: START_MS, status: 401, tokenRejected: true }), page(1)]

    expect(refreshedTokenBeforeExpiry([fakePoll(1, 0, [], { journal })], START_MS).held).toBe(false)
  })

  test('two rejections in one poll are a violation', () => {
    const rejected = { time: START_MS, status: 401, tokenRejected: true }
    const journal = [page(0, START_MS, rejected), token(START_MS), page(0, START_MS, rejected), token(START_MS)]

    expect(refreshedTokenBeforeExpiry([fakePoll(1, 0, [], { journal })], START_MS).held).toBe(false)
  })

  test('two fault rejections each refreshed hold', () => {
    const journal = [
      page(0),
      page(1, START_MS, { time: START_MS, status: 401, tokenRejected: true, faultId: 'exp1', tokenId: 't-1' }),
      token(START_MS),
      page(1, START_MS, { time: START_MS, tokenId: 't-2' }),
      page(3, START_MS, { time: START_MS, status: 401, tokenRejected: true, faultId: 'exp2', tokenId: 't-2' }),
      token(START_MS),
      page(3, START_MS, { time: START_MS, tokenId: 't-3' }),
    ]
    const verdict = refreshedTokenBeforeExpiry([fakePoll(1, 0, [], { journal })], START_MS, EXPIRE_TOKEN_FAULTS)

    expect(verdict.held).toBe(true)
    expect(verdict.detail).toBe('2 expired-token requests (2 caused by a fault), each followed by a refresh')
  })

  test('fault rejection without a refresh is a violation', () => {
    const journal = [
      page(1, START_MS, { time: START_MS, status: 401, tokenRejected: true, faultId: 'exp1', tokenId: 't-1' }),
      page(2, START_MS, { time: START_MS, status: 401, tokenRejected: true, tokenId: 't-1' }),
    ]
    const verdict = refreshedTokenBeforeExpiry([fakePoll(1, 0, [], { journal })], START_MS, EXPIRE_TOKEN_FAULTS)

    expect(verdict.held).toBe(false)
    expect(verdict.detail).toContain('instead of requesting a new token')
  })

  test('reuse of a fault-expired token counts as the fault', () => {
    // A request that was already in flight with t-1 is rejected too, without naming the fault.
    const journal = [
      page(1, START_MS, { time: START_MS, status: 401, tokenRejected: true, faultId: 'exp1', tokenId: 't-1' }),
      token(START_MS),
      page(2, START_MS, { time: START_MS, status: 401, tokenRejected: true, tokenId: 't-1', clientId: 'other' }),
      page(0, START_MS, { time: START_MS, status: 401, tokenRejected: true, tokenId: 't-9' }),
      token(START_MS),
    ]
    const verdict = refreshedTokenBeforeExpiry([fakePoll(1, 0, [], { journal })], START_MS, EXPIRE_TOKEN_FAULTS)

    expect(verdict.held).toBe(true)
    expect(verdict.detail).toBe('3 expired-token requests (2 caused by a fault), each followed by a refresh')
  })

  test('fault rejection plus two client ones is a violation', () => {
    const rejected = { time: START_MS, status: 401, tokenRejected: true, tokenId: 't-5' }
    const journal = [
      page(1, START_MS, { time: START_MS, status: 401, tokenRejected: true, faultId: 'exp1', tokenId: 't-1' }),
      token(START_MS),
      page(0, START_MS, rejected),
      token(START_MS),
      page(0, START_MS, { ...rejected, tokenId: 't-6' }),
      token(START_MS),
    ]
    const verdict = refreshedTokenBeforeExpiry([fakePoll(1, 0, [], { journal })], START_MS, EXPIRE_TOKEN_FAULTS)

    expect(verdict.held).toBe(false)
    expect(verdict.detail).toBe('poll 1 sent 2 requests with an expired or revoked token that no fault expired')
  })

  test('rejections tagged by a delay fault count as the client', () => {
    const journal = [
      page(1, START_MS, { time: START_MS, status: 401, tokenRejected: true, faultId: 'slow', tokenId: 't-1' }),
      token(START_MS),
      page(2, START_MS, { time: START_MS, status: 401, tokenRejected: true, faultId: 'slow', tokenId: 't-2' }),
      token(START_MS),
    ]
    const verdict = refreshedTokenBeforeExpiry([fakePoll(1, 0, [], { journal })], START_MS, EXPIRE_TOKEN_FAULTS)

    expect(verdict.held).toBe(false)
    expect(verdict.detail).toBe('poll 1 sent 2 requests with an expired or revoked token that no fault expired')
  })
})

describe('withinRateLimit', () => {
  test('429 from a fault is allowed', () => {
    const journal = [page(0, START_MS, { time: START_MS, status: 429, faultId: 'throttle' })]

    expect(withinRateLimit([fakePoll(1, 0, [], { journal })], START_MS).held).toBe(true)
  })

  test('429 from the tenant limit is a violation', () => {
    const journal = [page(0, START_MS, { time: START_MS, status: 429 })]

    expect(withinRateLimit([fakePoll(1, 0, [], { journal })], START_MS).held).toBe(false)
  })
})
