import { hash, timingSafeEqual } from 'node:crypto'
import { deriveBytes, hex8, mix32 } from './headers'

export const DEFAULT_TOKEN_LIFETIME_SECONDS = 3600

/**
 * Tokens kept for lookup. Past this, the token at the old end of the store
 * is dropped and then reads as unknown. A token presented at least once
 * every REFRESH_AFTER_ISSUES issues never reaches that end, so a flood of new
 * tokens cannot invalidate a token that a client keeps using. The order is
 * close to least recently used, not exact.
 */
const MAX_STORED_TOKENS = 100_000
/** A used token older than this many issues is moved to the newest end of the store. */
const REFRESH_AFTER_ISSUES = MAX_STORED_TOKENS / 2

/** One OAuth client of a tenant. The secret is kept for snapshots; checks use its hash. */
export interface OAuthClient {
  clientId: string
  clientSecret: string
  secretHash: Buffer
  enabled: boolean
}

export function createClient(clientId: string, clientSecret: string, enabled = true): OAuthClient {
  return { clientId, clientSecret, secretHash: hashSecret(clientSecret), enabled }
}

export function hashSecret(secret: string): Buffer {
  return hash('sha256', secret, 'buffer')
}

/** Maximum number of presented secrets whose digests are kept. The cache empties when full. */
const MAX_PRESENTED_DIGESTS = 256

/**
 * Digests of recently presented secrets, because a client sends the same
 * secret on every token request and hashing it each time costs more than
 * the rest of the check. A Map look-up compares whole strings only after
 * their hashes match, so a hit or miss reveals nothing about a prefix.
 */
const presentedDigests = new Map<string, Buffer>()

function presentedDigest(secret: string): Buffer {
  let digest = presentedDigests.get(secret)
  if (digest === undefined) {
    digest = hashSecret(secret)
    if (presentedDigests.size >= MAX_PRESENTED_DIGESTS) presentedDigests.clear()
    presentedDigests.set(secret, digest)
  }
  return digest
}

/** Compares a presented secret with the stored hash in constant time. */
export function secretMatches(client: OAuthClient, presented: string): boolean {
  return timingSafeEqual(presentedDigest(presented), client.secretHash)
}

/** Stored facts about one issued access token. The token string itself is only the map key. */
export interface TokenRecord {
  /** Opaque id for the journal and logs. */
  tokenId: string
  tenantName: string
  clientId: string
  issuedAt: number
  expiresAt: number
  revoked: boolean
  /** Issue counter when the token was stored or last moved to the newest end. */
  storedAt: number
}

export type TokenCheck =
  | { status: 'valid'; record: TokenRecord }
  | { status: 'expired' | 'revoked'; record: TokenRecord }
  | { status: 'unknown' }

/**
 * Issues and checks bearer tokens for all tenants. Tokens look random but
 * derive from the seed and issue order, so a replayed scenario sends the
 * same bytes.
 */
export class TokenService {
  private readonly tokens = new Map<string, TokenRecord>()
  private counter = 0
  /** Key of the token ids, drawn once from the seed. */
  private readonly idKey: readonly [number, number]

  constructor(private readonly seed: number) {
    const bytes = deriveBytes(seed, 'token-id', 0)
    this.idKey = [bytes.readUInt32LE(0), bytes.readUInt32LE(4)]
  }

  issue(
    tenantName: string,
    clientId: string,
    now: number,
    lifetimeSeconds: number,
  ): { accessToken: string; record: TokenRecord } {
    this.counter += 1
    const accessToken = deriveBytes(this.seed, 'access-token', this.counter).toString('base64url')
    const tokenId = this.tokenId(this.counter)
    const record: TokenRecord = {
      tokenId,
      tenantName,
      clientId,
      issuedAt: now,
      expiresAt: now + lifetimeSeconds * 1000,
      revoked: false,
      storedAt: this.counter,
    }
    this.tokens.set(accessToken, record)
    if (this.tokens.size > MAX_STORED_TOKENS) {
      const oldest = this.tokens.keys().next()
      if (oldest.done !== true) this.tokens.delete(oldest.value)
    }
    return { accessToken, record }
  }

  /**
   * Returns the journal id of the token with issue number `counter`. It
   * mixes the counter with a seeded key instead of hashing, because a
   * SHA-256 per token took a measurable share of a token response. The
   * first word is a bijection of the counter, so the ids of the first 2^32
   * tokens are distinct. The id reveals nothing of the token itself.
   */
  private tokenId(counter: number): string {
    const [key0, key1] = this.idKey
    const word0 = mix32(counter + key0)
    const word1 = mix32(word0 ^ key1)
    return `tok_${hex8(word0)}${hex8(word1)}`
  }

  check(accessToken: string, now: number): TokenCheck {
    const record = this.tokens.get(accessToken)
    if (record === undefined) return { status: 'unknown' }
    if (this.counter - record.storedAt > REFRESH_AFTER_ISSUES) {
      // Map order is insertion order, so moving a used token to the end keeps it from eviction.
      this.tokens.delete(accessToken)
      this.tokens.set(accessToken, record)
      record.storedAt = this.counter
    }
    if (record.revoked) return { status: 'revoked', record }
    if (now >= record.expiresAt) return { status: 'expired', record }
    return { status: 'valid', record }
  }

  /** Makes a token expire at `now`, as the `expire-token` fault does. */
  expire(accessToken: string, now: number): void {
    const record = this.tokens.get(accessToken)
    if (record !== undefined && record.expiresAt > now) record.expiresAt = now
  }

  /** Revokes every token of one client of one tenant. */
  revokeClient(tenantName: string, clientId: string): number {
    let revoked = 0
    for (const record of this.tokens.values()) {
      if (record.tenantName === tenantName && record.clientId === clientId && !record.revoked) {
        record.revoked = true
        revoked += 1
      }
    }
    return revoked
  }

  /** Revokes every token of a tenant, for example after its tenant is replaced. */
  revokeTenant(tenantName: string): void {
    for (const record of this.tokens.values()) {
      if (record.tenantName === tenantName) record.revoked = true
    }
  }

  clear(): void {
    this.tokens.clear()
    this.counter = 0
  }
}

/** Parses `Authorization: Basic …` into a user name and password; undefined when malformed. */
export function parseBasicAuth(
  header: string | undefined,
): { username: string; password: string } | undefined {
  if (header === undefined) return undefined
  const match = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header)
  if (match === null || match[1] === undefined) return undefined
  const decoded = Buffer.from(match[1], 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon < 0) return undefined
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
}

/** Returns the token of `Authorization: Bearer …`, or undefined for another scheme. */
export function parseBearer(header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
  return match?.[1]
}
