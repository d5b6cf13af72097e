/**
 * Shard selection for splitting a scenario library across CI jobs. Whole
 * files go to one shard: the distinct files are sorted and dealt out in
 * turn, so every job that loads the same files computes the same split.
 */

/** Items of shard `index` (1-based, like jest's --shard) of `total`; every file lands in exactly one shard. */
export function selectShard<T extends { file: string }>(items: T[], index: number, total: number): T[] {
  if (!Number.isInteger(total) || total < 1) throw new RangeError(`invalid shard total ${total}: use a whole number of 1 or more`)
  if (!Number.isInteger(index) || index < 1 || index > total) {
    throw new RangeError(`invalid shard index ${index}: use a whole number from 1 to ${total}`)
  }
  const files = [...new Set(items.map((item) => normalise(item.file)))].sort()
  const shardOfFile = new Map(files.map((file, position) => [file, (position % total) + 1]))
  return items.filter((item) => shardOfFile.get(normalise(item.file)) === index)
}

/** Separators are normalised so Windows and POSIX runs agree. */
function normalise(file: string): string {
  return file.replace(/\\/g, '/')
}
