import { UuidSequence } from './headers'

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe('UuidSequence', () => {
  it('produces version-4 uuids', () => {
    const sequence = new UuidSequence(7, 'correlation-id')
    for (let i = 0; i < 1000; i++) expect(sequence.next()).toMatch(UUID_V4)
  })

  it('never repeats within a run', () => {
    const sequence = new UuidSequence(7, 'correlation-id')
    const seen = new Set<string>()
    for (let i = 0; i < 50_000; i++) seen.add(sequence.next())
    expect(seen.size).toBe(50_000)
  })

  it('repeats the same ids for a seed', () => {
    const first = new UuidSequence(7, 'correlation-id')
    const second = new UuidSequence(7, 'correlation-id')
    for (let i = 0; i < 100; i++) expect(second.next()).toBe(first.next())
  })

  it('differs by seed and by purpose', () => {
    const base = new UuidSequence(7, 'correlation-id').next()
    expect(new UuidSequence(8, 'correlation-id').next()).not.toBe(base)
    expect(new UuidSequence(7, 'activity-id').next()).not.toBe(base)
  })

  it('restarts after reset', () => {
    const sequence = new UuidSequence(7, 'activity-id')
    const firstId = sequence.next()
    sequence.next()
    sequence.reset()
    expect(sequence.next()).toBe(firstId)
  })
})
