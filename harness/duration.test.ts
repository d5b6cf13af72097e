import { parseDuration } from '../posture-checker/duration'
import { DURATION_PATTERN, parseDurationMs } from './duration'

const pattern = new RegExp(DURATION_PATTERN)

describe('scenario durations', () => {
  test.each([
    ['30s', 30_000],
    ['90m', 5_400_000],
    ['2h30m', 9_000_000],
    ['1h5m', 3_900_000],
    ['1d', 86_400_000],
    ['250ms', 250],
    ['1m30s500ms', 90_500],
  ])('%j is %d ms', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms)
    expect(pattern.test(text)).toBe(true)
  })

  test.each(['', '5', '5m1h', '1.5h', '10 m', '-5m', '5ms1s', 'm'])('%j is rejected', (text) => {
    expect(parseDurationMs(text)).toBeUndefined()
    expect(pattern.test(text)).toBe(false)
  })

  test.each(['2h30m', '250ms', '7d', '45s'])('%j reads as the checker reads it', (text) => {
    expect(parseDurationMs(text)).toBe(parseDuration(text))
  })
})
