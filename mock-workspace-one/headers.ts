import { hash } from 'node:crypto'
import type { ServerResponse } from 'node:http'

/**
 * Derives 32 pseudo-random bytes from a seed, a purpose label and a counter.
 * Tokens, secrets, tenant codes and group uuids come from here, and the
 * per-request uuids of `UuidSequence` from a key drawn here, so the same
 * seed and request order give the same bytes.
 */
export function deriveBytes(seed: number, purpose: string, counter: number): Buffer {
  // The one-shot hash skips the Hash object that createHash builds.
  return hash('sha256', `${seed}\u0000${purpose}\u0000${counter}`, 'buffer')
}

/** Formats 16 bytes as a lowercase RFC 4122 version-4 uuid. */
export function formatUuid(bytes: Buffer): string {
  const hex = bytes.toString('hex', 0, 16)
  const variant = ((parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16)
  return (
    `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-` +
    `${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`
  )
}

/** Mixes a 32-bit word with the MurmurHash3 finalizer, a bijection that spreads every input bit. */
export function mix32(value: number): number {
  let word = value >>> 0
  word = Math.imul(word ^ (word >>> 16), 0x85ebca6b)
  word = Math.imul(word ^ (word >>> 13), 0xc2b2ae35)
  return (word ^ (word >>> 16)) >>> 0
}

/** Two lowercase hex digits for each byte value, because Number#toString(16) is slow per call. */
const HEX_BYTES = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'))

function hexByte(value: number): string {
  return HEX_BYTES[value & 0xff] as string
}

/** Formats a 32-bit word as 8 lowercase hex digits. */
export function hex8(word: number): string {
  return hexByte(word >>> 24) + hexByte(word >>> 16) + hexByte(word >>> 8) + hexByte(word)
}

function hex4(word: number): string {
  return hexByte(word >>> 8) + hexByte(word)
}

/**
 * A seeded sequence of uuids for one purpose, such as correlation ids.
 * Each uuid mixes the counter with a 128-bit key derived once from the seed
 * and purpose, because a SHA-256 on every request took a measurable share
 * of the CPU time of a short response. The first word is a bijection of the
 * counter, so the first 2^32 uuids of a sequence are distinct. They are not
 * secret.
 */
export class UuidSequence {
  private counter = 0
  private readonly key: readonly [number, number, number, number]

  constructor(seed: number, purpose: string) {
    const bytes = deriveBytes(seed, purpose, 0)
    this.key = [bytes.readUInt32LE(0), bytes.readUInt32LE(4), bytes.readUInt32LE(8), bytes.readUInt32LE(12)]
  }

  next(): string {
    this.counter += 1
    const [key0, key1, key2, key3] = this.key
    const word0 = mix32(this.counter + key0)
    const word1 = mix32(word0 ^ key1)
    const word2 = mix32(word1 ^ key2)
    const word3 = mix32(word2 ^ key3)
    // Version 4 in the third group and the RFC 4122 variant (binary 10) in the fourth.
    const versioned = ((word1 & 0xffff0fff) | 0x4000) >>> 0
    const varied = ((word2 & 0x3fffffff) | 0x80000000) >>> 0
    return (
      hex8(word0) + '-' + hex4(versioned >>> 16) + '-' + hex4(versioned) + '-' +
      hex4(varied >>> 16) + '-' + hex4(varied) + hex8(word3)
    )
  }

  reset(): void {
    this.counter = 0
  }
}

/** Value of `content-type` on every JSON response, as a real tenant sends it. */
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8'
export const HTML_CONTENT_TYPE = 'text/html; charset=utf-8'
export const STRICT_TRANSPORT_SECURITY = 'max-age=31536000'

/** Rate-limit header values of one response; undefined when the tenant is unknown. */
export interface RateLimitHeaders {
  limit: number
  remaining: number
  /** Epoch seconds at which the daily window ends. */
  resetEpochSeconds: number
}

/** Version headers of one endpoint, precomputed once per route. */
export interface VersionHeaders {
  served: string
  supported: string
}

/**
 * Lists the headers every `/API` response carries, as flat name-value pairs
 * for `writeHead`: correlation id, rate-limit state, API version, HSTS and
 * nosniff. The content type and length are left to the caller because a 204
 * must have neither.
 */
export function apiHeaderList(
  correlationId: string,
  rateLimit: RateLimitHeaders | undefined,
  version: VersionHeaders | undefined,
): string[] {
  const headers = ['x-correlation-id', correlationId]
  if (rateLimit !== undefined) {
    headers.push(
      'x-ratelimit-limit',
      String(rateLimit.limit),
      'x-ratelimit-remaining',
      String(rateLimit.remaining),
      'x-ratelimit-reset',
      String(rateLimit.resetEpochSeconds),
    )
  }
  if (version !== undefined) {
    headers.push('x-api-version', version.served, 'api-supported-versions', version.supported)
  }
  headers.push(
    'strict-transport-security',
    STRICT_TRANSPORT_SECURITY,
    'x-content-type-options',
    'nosniff',
  )
  return headers
}

/** Sets the headers of `apiHeaderList` one by one, for responses that also set others. */
export function writeApiHeaders(
  res: ServerResponse,
  correlationId: string,
  rateLimit: RateLimitHeaders | undefined,
  version: VersionHeaders | undefined,
): void {
  const headers = apiHeaderList(correlationId, rateLimit, version)
  for (let i = 0; i < headers.length; i += 2) res.setHeader(headers[i] as string, headers[i + 1] as string)
}
