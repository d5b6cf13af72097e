/**
 * Seeded pseudo-random numbers for the fleet generator: sfc32 seeded through
 * splitmix32. Cheap enough to call many times per device, and the same seed
 * always gives the same sequence.
 */

function splitmix32(state: number): [number, number] {
  const next = (state + 0x9e3779b9) | 0
  let z = next
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
  return [next, (z ^ (z >>> 16)) >>> 0]
}

/** Mixes several integers into one 32-bit seed. */
export function mixSeed(...parts: number[]): number {
  let state = 0x2545f491
  let out = 0
  for (const part of parts) {
    const [next, value] = splitmix32((state ^ (part | 0) ^ Math.floor(part / 0x100000000)) | 0)
    state = next
    out = (out ^ value) >>> 0
    out = Math.imul(out, 0x01000193) >>> 0
  }
  return out
}

const HEX = '0123456789abcdef'
const HEX_UPPER = '0123456789ABCDEF'

/** Reused code buffers per length, so drawing a string allocates only the string. */
const codeBuffers = new Map<number, number[]>()

function codeBuffer(length: number): number[] {
  let buffer = codeBuffers.get(length)
  if (buffer === undefined) {
    buffer = new Array<number>(length).fill(0)
    codeBuffers.set(length, buffer)
  }
  return buffer
}
const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'

export class Random {
  private a: number
  private b: number
  private c: number
  private d: number

  constructor(seed: number) {
    let state = seed | 0
    const words: number[] = []
    for (let i = 0; i < 4; i++) {
      const [next, value] = splitmix32(state)
      state = next
      words.push(value)
    }
    this.a = words[0] ?? 1
    this.b = words[1] ?? 2
    this.c = words[2] ?? 3
    this.d = words[3] ?? 4
  }

  /** Returns a uniform unsigned 32-bit integer. */
  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0
    this.d = (this.d + 1) | 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) | 0
    this.c = (this.c << 21) | (this.c >>> 11)
    this.c = (this.c + t) | 0
    return t >>> 0
  }

  /** Returns a uniform float in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296
  }

  /** Returns a uniform integer in [0, max). */
  int(max: number): number {
    return Math.floor(this.next() * max)
  }

  /** Returns a uniform integer in [min, max]. */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1)
  }

  chance(probability: number): boolean {
    return probability > 0 && this.next() < probability
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)]
    if (item === undefined) throw new RangeError('Random.pick needs a non-empty list')
    return item
  }

  /** Picks a key by relative weight. Keys with weight 0 are never picked. */
  weighted<K extends string>(weights: ReadonlyArray<readonly [K, number]>): K {
    let total = 0
    for (const [, weight] of weights) total += weight
    let target = this.next() * total
    for (const [key, weight] of weights) {
      if (weight <= 0) continue
      target -= weight
      if (target < 0) return key
    }
    const last = weights.filter(([, weight]) => weight > 0).pop()
    if (last === undefined) throw new RangeError('Random.weighted needs a positive weight')
    return last[0]
  }

  /** `length` characters drawn from `alphabet`. */
  chars(length: number, alphabet: string = UPPER_ALNUM): string {
    // One fromCharCode call gives a flat string. `+=` in a loop would leave a
    // chain of rope nodes, which costs far more memory per stored device.
    const codes = codeBuffer(length)
    for (let i = 0; i < length; i++) codes[i] = alphabet.charCodeAt(this.int(alphabet.length))
    return String.fromCharCode.apply(null, codes)
  }

  /** `length` hex digits. Each 32-bit draw gives eight of them. */
  hex(length: number, upper = false): string {
    const alphabet = upper ? HEX_UPPER : HEX
    const codes = codeBuffer(length)
    this.fillHex(codes, 0, length, alphabet)
    return String.fromCharCode.apply(null, codes)
  }

  private fillHex(codes: number[], start: number, end: number, alphabet: string): void {
    let word = 0
    for (let i = start; i < end; i++) {
      if ((i - start) % 8 === 0) word = this.uint32()
      codes[i] = alphabet.charCodeAt(word & 15)
      word >>>= 4
    }
  }

  digits(length: number): string {
    return this.chars(length, '0123456789')
  }

  /** A version 4 GUID in lower case. */
  uuid(): string {
    const codes = codeBuffer(36)
    this.fillHex(codes, 0, 36, HEX)
    codes[8] = codes[13] = codes[18] = codes[23] = 45 // '-'
    codes[14] = 52 // version nibble '4'
    codes[19] = HEX.charCodeAt(8 + this.int(4)) // RFC 4122 variant
    return String.fromCharCode.apply(null, codes)
  }
}
