import { InvalidArgumentError } from 'commander'

/** Parses a whole decimal number in [min, max]. Commander reports the thrown message as a usage error. */
export function parseInteger(name: string, min: number, max: number): (text: string) => number {
  return (text: string) => {
    const trimmed = text.trim()
    if (!/^-?\d+$/.test(trimmed)) {
      throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}.`)
    }
    const value = Number(trimmed)
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}.`)
    }
    return value
  }
}

export const parsePort = parseInteger('port', 0, 65535)

/** A shard of a scenario library: `index` is 1-based, as in `--shard 2/4`. */
export interface Shard {
  index: number
  total: number
}

/** Parses `I/N` with 1 <= I <= N, the same form jest's --shard takes. */
export function parseShard(text: string): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text)
  const help = 'Use I/N with 1 <= I <= N, for example --shard 2/4.'
  if (!match) {
    throw new InvalidArgumentError(`shard "${text}" is not of the form I/N. ${help}`)
  }
  const index = Number(match[1])
  const total = Number(match[2])
  if (total < 1 || index < 1 || index > total) {
    throw new InvalidArgumentError(`shard "${text}" is out of range. ${help}`)
  }
  return { index, total }
}
