import { FaultEngine, normalizeFaultPath, validateFaultRule } from './faults'
import type { FaultRequest } from './faults'

function request(overrides: Partial<FaultRequest> = {}): FaultRequest {
  return {
    endpoint: 'api',
    path: '/mdm/devices/search',
    method: 'GET',
    query: {},
    clientId: 'client-a',
    now: Date.UTC(2024, 0, 1),
    ...overrides,
  }
}

describe('FaultEngine', () => {
  it('fires on the nth matching call only', () => {
    const engine = new FaultEngine(1)
    engine.add({ match: { path: '/API/mdm/devices/search', query: { page: '1' }, nth: 2 }, effect: { type: 'reset' } })
    const page0 = request({ query: { page: '0' } })
    const page1 = request({ query: { page: '1' } })
    expect(engine.evaluate(page0)).toHaveLength(0)
    expect(engine.evaluate(page1)).toHaveLength(0)
    expect(engine.evaluate(page1)).toHaveLength(1)
    expect(engine.evaluate(page1)).toHaveLength(0)
  })

  it('fires from the nth call on, at most `times` times', () => {
    const engine = new FaultEngine(1)
    engine.add({ match: { fromNth: 2 }, effect: { type: 'premature-204' }, times: 2 })
    const fired = [1, 2, 3, 4, 5].map(() => engine.evaluate(request()).length)
    expect(fired).toEqual([0, 1, 1, 0, 0])
  })

  it('applies pathless rules to /API only', () => {
    const engine = new FaultEngine(1)
    engine.add({ effect: { type: 'reset' } })
    engine.add({ match: { path: '/connect/token' }, effect: { type: 'reset' } })
    const token = request({ endpoint: 'token', path: '/connect/token' })
    expect(engine.evaluate(token)).toHaveLength(1)
    expect(engine.evaluate(request())).toHaveLength(1)
  })

  it('matches one path segment with a star', () => {
    const engine = new FaultEngine(1)
    engine.add({ match: { path: '/mdm/devices/*/compliance' }, effect: { type: 'reset' } })
    expect(engine.evaluate(request({ path: '/mdm/devices/12/compliance' }))).toHaveLength(1)
    expect(engine.evaluate(request({ path: '/mdm/devices/search' }))).toHaveLength(0)
  })

  it('matches method, client and time window', () => {
    const engine = new FaultEngine(1)
    const start = Date.UTC(2024, 0, 1)
    engine.add({
      match: { method: 'get', clientId: 'client-a', after: '2024-01-01T00:00:00Z', before: start + 1000 },
      effect: { type: 'reset' },
    })
    expect(engine.evaluate(request({ method: 'POST' }))).toHaveLength(0)
    expect(engine.evaluate(request({ clientId: 'client-b' }))).toHaveLength(0)
    expect(engine.evaluate(request({ now: start - 1 }))).toHaveLength(0)
    expect(engine.evaluate(request({ now: start + 1000 }))).toHaveLength(0)
    expect(engine.evaluate(request({ now: start + 500 }))).toHaveLength(1)
  })

  it('draws probabilities from the seed', () => {
    const draw = (seed: number): number[] => {
      const engine = new FaultEngine(seed)
      engine.add({ id: 'flaky', match: { probability: 0.5 }, effect: { type: 'reset' } })
      return Array.from({ length: 40 }, () => engine.evaluate(request()).length)
    }
    const first = draw(7)
    expect(draw(7)).toEqual(first)
    const fired = first.reduce((sum, value) => sum + value, 0)
    expect(fired).toBeGreaterThan(5)
    expect(fired).toBeLessThan(35)
  })

  it('rejects a duplicate id and lists counts', () => {
    const engine = new FaultEngine(1)
    expect(engine.add({ effect: { type: 'reset' } })).toBe('fault-1')
    engine.add({ id: 'x', effect: { type: 'reset' } })
    expect(() => engine.add({ id: 'x', effect: { type: 'reset' } })).toThrow('already exists')
    engine.evaluate(request())
    expect(engine.list().map((rule) => [rule.id, rule.matched, rule.fired])).toEqual([
      ['fault-1', 1, 1],
      ['x', 1, 1],
    ])
    expect(engine.remove('x')).toBe(true)
    expect(engine.size).toBe(1)
  })
})

describe('normalizeFaultPath', () => {
  it('drops the /API prefix and letter case', () => {
    expect(normalizeFaultPath('/API/MDM/Devices/Search/')).toBe('/mdm/devices/search')
    expect(normalizeFaultPath('mdm/devices')).toBe('/mdm/devices')
  })
})

describe('validateFaultRule', () => {
  it.each([
    [{ effect: { type: 'explode' } }, 'effect.type'],
    [{ effect: { type: 'status' } }, 'effect.status'],
    [{ effect: { type: 'status', status: 700 } }, 'effect.status'],
    [{ effect: { type: 'delay', ms: 'slow' } }, 'effect.ms'],
    [{ effect: { type: 'delay', ms: 1e300 } }, 'effect.ms'],
    [{ effect: { type: 'delay', ms: 600_001 } }, 'effect.ms'],
    [{ effect: { type: 'rate-limit', retryAfter: -30 } }, 'effect.retryAfter'],
    [{ effect: { type: 'rate-limit', retryAfter: 99_999_999_999 } }, 'effect.retryAfter'],
    [{ effect: { type: 'reset', extra: 1 } }, 'effect.extra'],
    [{ match: { nth: 0 }, effect: { type: 'reset' } }, 'match.nth'],
    [{ match: { probability: 2 }, effect: { type: 'reset' } }, 'match.probability'],
    [{ match: { after: 'soon' }, effect: { type: 'reset' } }, 'match.after'],
    [{ match: { colour: 'red' }, effect: { type: 'reset' } }, 'match.colour'],
    [{ match: { query: 'page=1' }, effect: { type: 'reset' } }, 'match.query'],
    [{ effect: { type: 'status', status: 500, headers: { a: 1 } } }, 'effect.headers.a'],
    [{ effect: { type: 'reset' }, times: -1 }, 'times'],
    [{ effect: { type: 'reset' }, when: 'now' }, 'when'],
    [{}, 'effect'],
  ])('names the bad field of %j', (rule, field) => {
    expect(() => validateFaultRule(rule)).toThrow(field)
  })

  it('accepts a complete rule', () => {
    const rule = {
      id: 'page-1-504',
      match: { path: '/mdm/devices/search', query: { page: '1' }, nth: 1 },
      effect: { type: 'status', status: 504, body: '<html></html>', headers: { 'content-type': 'text/html' } },
      times: 1,
    }
    expect(validateFaultRule(rule)).toBe(rule)
  })
})
