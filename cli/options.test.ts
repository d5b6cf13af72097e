import { InvalidArgumentError } from 'commander'
import { parseInteger, parsePort, parseShard } from './options'

describe('parseShard', () => {
  it.each([
    ['1/1', { index: 1, total: 1 }],
    ['2/4', { index: 2, total: 4 }],
    [' 4 / 4 ', { index: 4, total: 4 }],
  ])('accepts %s', (text, expected) => {
    expect(parseShard(text)).toEqual(expected)
  })

  it.each(['0/4', '5/4', '1/0', '2', 'a/b', '1/2/3', '-1/4', ''])('rejects %s', (text) => {
    expect(() => parseShard(text)).toThrow(InvalidArgumentError)
  })

  it('names the expected form', () => {
    expect(() => parseShard('3')).toThrow('Use I/N with 1 <= I <= N, for example --shard 2/4.')
  })
})

describe('parseInteger', () => {
  const parseCount = parseInteger('devices', 0, 10)

  it('accepts the bounds', () => {
    expect(parseCount('0')).toBe(0)
    expect(parseCount('10')).toBe(10)
  })

  it.each(['11', '-1', '1.5', 'ten', '', '1e3'])('rejects %s', (text) => {
    expect(() => parseCount(text)).toThrow('devices must be a whole number from 0 to 10.')
  })
})

describe('parsePort', () => {
  it('accepts 0 and 65535', () => {
    expect(parsePort('0')).toBe(0)
    expect(parsePort('65535')).toBe(65535)
  })

  it('rejects 65536', () => {
    expect(() => parsePort('65536')).toThrow('port must be a whole number from 0 to 65535.')
  })
})
