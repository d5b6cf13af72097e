import { selectShard } from './shard'

const items = ['b.yaml', 'a.yaml', 'c.yaml', 'a.yaml', 'd.yaml', 'e.yaml'].map((file, index) => ({ file, index }))

describe('selectShard', () => {
  test('every item lands in exactly one shard', () => {
    const shards = [1, 2, 3].map((index) => selectShard(items, index, 3))

    expect(shards.flat().map((item) => item.index).sort()).toEqual([0, 1, 2, 3, 4, 5])
  })

  test('scenarios of one file stay together', () => {
    const shards = [1, 2].map((index) => selectShard(items, index, 2).map((item) => item.file))

    const withA = shards.filter((files) => files.includes('a.yaml'))
    expect(withA).toHaveLength(1)
    expect(withA[0]?.filter((file) => file === 'a.yaml')).toHaveLength(2)
  })

  test('files are dealt out in sorted order', () => {
    expect(selectShard(items, 1, 2).map((item) => item.file)).toEqual(['a.yaml', 'c.yaml', 'a.yaml', 'e.yaml'])
    expect(selectShard(items, 2, 2).map((item) => item.file)).toEqual(['b.yaml', 'd.yaml'])
  })

  test('same input gives the same shard', () => {
    expect(selectShard([...items].reverse(), 1, 2).map((item) => item.file).sort()).toEqual(
      selectShard(items, 1, 2).map((item) => item.file).sort(),
    )
  })

  test('separators do not change the shard', () => {
    const windows = [{ file: 'dir\\x.yaml' }, { file: 'dir\\y.yaml' }]
    const posix = [{ file: 'dir/x.yaml' }, { file: 'dir/y.yaml' }]

    expect(selectShard(windows, 1, 2).length).toBe(1)
    expect(selectShard(windows, 1, 2)[0]?.file).toBe('dir\\x.yaml')
    expect(selectShard(posix, 1, 2)[0]?.file).toBe('dir/x.yaml')
  })

  test.each([
    [0, 2],
    [3, 2],
    [1, 0],
    [1.5, 2],
  ])('invalid shard %d/%d throws', (index, total) => {
    expect(() => selectShard(items, index, total)).toThrow(RangeError)
  })
})
