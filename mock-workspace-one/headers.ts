import { hash } from 'node:crypto'
import type { ServerResponse } from 'node:http'

/**
 * Derives 32 pseudo-random bytes from a seed, a purpose label and a counter.
 * Every id the emulator sends (correlation ids, activity ids, tokens, secrets)
 * comes from here, so the same seed and request order give the same bytes.
 */
export function deriveBytes(seed: number, purpose: string, counter: number): Buffer {
  // The one-shot hash skips the Hash object that createHash builds, which matters once per request.
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

/** A seeded sequence of uuids for one purpose, such as correlation ids. */
export class UuidSequence {
  private counter = 0

  constructor(
    private readonly seed: number,
    private readonly purpose: string,
  ) {}

  next(): string {
    this.counter += 1
    return formatUuid(deriveBytes(this.seed, this.purpose, this.counter))
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
