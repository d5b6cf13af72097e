import {
  createPalette,
  formatDuration,
  formatOffset,
  formatProgress,
  formatTable,
  plural,
  visibleWidth,
  wrapText,
} from './format'

describe('createPalette', () => {
  it('leaves text plain when disabled', () => {
    expect(createPalette(false).red('fail')).toBe('fail')
  })

  it('wraps text in ANSI codes when enabled', () => {
    expect(createPalette(true).red('fail')).toBe('\u001b[31mfail\u001b[39m')
  })
})

describe('visibleWidth', () => {
  it('ignores colour sequences', () => {
    expect(visibleWidth(createPalette(true).bold('abc'))).toBe(3)
  })
})

describe('formatTable', () => {
  it('pads columns to the widest cell', () => {
    const table = formatTable(['A', 'BB'], [['long', 'x'], ['s', 'yy']])
    expect(table).toBe('A     BB\n----  --\nlong  x\ns     yy\n')
  })

  it('pads coloured cells by their visible width', () => {
    const palette = createPalette(true)
    const table = formatTable(['A', 'B'], [[palette.red('ab'), 'x'], ['abcd', 'y']])
    const lines = table.split('\n')
    expect(visibleWidth(lines[2] ?? '')).toBe(visibleWidth(lines[3] ?? ''))
  })
})

describe('formatOffset', () => {
  it.each([
    [0, '+00:00:00'],
    [5 * 60_000, '+00:05:00'],
    [3_661_000, '+01:01:01'],
    [90_000_000, '+1d 01:00:00'],
  ])('formats %d ms as %s', (ms, text) => {
    expect(formatOffset(ms)).toBe(text)
  })
})

describe('formatDuration', () => {
  it.each([
    [250, '250ms'],
    [90_000, '1m30s'],
    [300_000, '5m'],
    [5_400_000, '1h30m'],
  ])('formats %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text)
  })
})

describe('formatProgress', () => {
  it('fills the bar in proportion', () => {
    expect(formatProgress(1, 2, 4)).toBe('[##..] 1/2')
  })

  it('shows a full bar when there is nothing to do', () => {
    expect(formatProgress(0, 0, 2)).toBe('[##] 0/0')
  })
})

describe('wrapText', () => {
  it('breaks at spaces within the width', () => {
    expect(wrapText('one two three four', 9)).toEqual(['one two', 'three', 'four'])
  })

  it('keeps a word longer than the width whole', () => {
    expect(wrapText('a verylongword b', 4)).toEqual(['a', 'verylongword', 'b'])
  })
})

describe('plural', () => {
  it('adds s unless the count is 1', () => {
    expect(plural(1, 'page')).toBe('1 page')
    expect(plural(0, 'page')).toBe('0 pages')
    expect(plural(3, 'page')).toBe('3 pages')
  })
})
