import { NEVER, NEVER_MS, formatIsoZ, formatWs1Date, parseIsoDate, parseSearchDate } from './dates'

describe('formatWs1Date', () => {
  it('formats UTC with milliseconds and no zone', () => {
    expect(formatWs1Date(Date.UTC(2021, 5, 28, 4, 35, 20, 150))).toBe('2021-06-28T04:35:20.150')
  })

  it('formats never as the sentinel', () => {
    expect(formatWs1Date(NEVER_MS)).toBe(NEVER)
  })

  it('pads single-digit fields', () => {
    expect(formatWs1Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6))).toBe('2024-01-02T03:04:05.006')
  })

  it('adds Z in the get-by-uuid form', () => {
    expect(formatIsoZ(Date.UTC(2021, 5, 28, 1, 59, 29, 77))).toBe('2021-06-28T01:59:29.077Z')
  })
})

describe('parseIsoDate', () => {
  it('reads zone-less values as UTC', () => {
    expect(parseIsoDate('2021-03-09T14:21:45.512')).toBe(Date.UTC(2021, 2, 9, 14, 21, 45, 512))
  })

  it('applies an explicit offset', () => {
    expect(parseIsoDate('2022-06-03T03:01:26.8528889+01:00')).toBe(Date.UTC(2022, 5, 3, 2, 1, 26, 852))
  })

  it('reads both never forms as NEVER_MS', () => {
    expect(parseIsoDate('0001-01-01T00:00:00.000')).toBe(NEVER_MS)
    expect(parseIsoDate('0001-01-01T00:00:00')).toBe(NEVER_MS)
  })

  it('rejects impossible dates', () => {
    expect(parseIsoDate('2024-02-31T00:00:00')).toBeUndefined()
    expect(parseIsoDate('yesterday')).toBeUndefined()
  })

  it('round-trips through formatWs1Date', () => {
    const text = '2021-07-12T07:27:40.487'
    const parsed = parseIsoDate(text)
    expect(parsed).toBeDefined()
    expect(formatWs1Date(parsed as number)).toBe(text)
  })
})

describe('parseSearchDate', () => {
  const noon = Date.UTC(2024, 4, 1, 12, 30, 15, 250)
  const midnight = Date.UTC(2024, 4, 1)

  it.each([
    ['2024/05/01', midnight],
    ['2024-05-01', midnight],
    ['05/01/2024', midnight],
    ['05-01-2024', midnight],
    ['2024/05/01 12:30:15.250', noon],
    ['2024-05-01 12:30:15.250', noon],
    ['05/01/2024 12:30:15.250', noon],
    ['05-01-2024 12:30:15.250', noon],
    ['2024/05/01T12:30:15.250', noon],
    ['2024-05-01T12:30:15.250', noon],
    ['05/01/2024T12:30:15.250', noon],
    ['05-01-2024T12:30:15.250', noon],
    ['2024-05-01 12-30-15-PM', Date.UTC(2024, 4, 1, 12, 30, 15)],
    ['2024-05-01T01-30-15-PM', Date.UTC(2024, 4, 1, 13, 30, 15)],
    ['2024-05-01 12-30-15-AM', Date.UTC(2024, 4, 1, 0, 30, 15)],
    ['2024-05-01T12:30:15.250Z', noon],
  ])('accepts %s', (text, expected) => {
    expect(parseSearchDate(text)).toBe(expected)
  })

  it.each(['2024-13-01', '13/45/2024', '2024-05-01 12-30-15', 'not a date', '2024-05-01 13-30-15-PM'])(
    'rejects %s',
    (text) => {
      expect(parseSearchDate(text)).toBeUndefined()
    },
  )
})
