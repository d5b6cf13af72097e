import express, { type Request, type Response, type Router } from 'express'
import { serverErrorHtml } from '../errors'
import { normalizeFaultPath } from '../faults'
import { HTML_CONTENT_TYPE, JSON_CONTENT_TYPE } from '../headers'
import { redactHeaders } from '../journal'
import { parseBasicAuth, secretMatches } from '../oauth'
import type { Emulator } from '../emulator'
import type { FaultRule } from '../types'

/** Token endpoint paths: the SaaS token service and on-premises servers. */
export const TOKEN_PATHS = ['/connect/token', '/oauth/token']

type OAuthErrorCode = 'invalid_request' | 'invalid_client' | 'unsupported_grant_type'

interface TokenOutcome {
  /** 0 when a fault reset the connection. */
  status: number
  body: Buffer
  clientId: string | null
  tenant: string | null
  tokenId: string | null
  /** Reason for a rejection, for the log. It never contains a secret. */
  reason?: string
  faultId?: string
  retryAfter?: string
}

type TokenTerminalEffect = Extract<
  FaultRule['effect'],
  { type: 'status' | 'rate-limit' | 'reset' | 'html-error' | 'premature-204' }
>

/** Returns whether a fault effect replaces the token response; delay and body faults act on it instead. */
function isTerminalTokenFault(effect: FaultRule['effect']): effect is TokenTerminalEffect {
  return ['status', 'rate-limit', 'reset', 'html-error', 'premature-204'].includes(effect.type)
}

/**
 * Sends part of a token response: half of it for `malformed-json`, or the
 * full content-length then some bytes and a closed socket for
 * `truncated-body`. Returns the bytes sent.
 */
function sendBrokenBody(req: Request, res: Response, body: Buffer, effect: FaultRule['effect']): Buffer {
  const half = body.subarray(0, Math.floor(body.length / 2))
  if (effect.type !== 'truncated-body') {
    res.end(half)
    return half
  }
  const sent = body.subarray(0, Math.min(effect.bytes ?? half.length, body.length - 1))
  res.setHeader('content-length', body.length)
  res.write(sent, () => req.socket.destroy())
  return sent
}

function evaluateTokenFaults(emulator: Emulator, req: Request): Array<FaultRule & { id: string }> {
  const form = (req.body ?? {}) as Record<string, unknown>
  const basic = parseBasicAuth(req.headers.authorization)
  const clientId = basic?.username ?? formField(form, 'client_id') ?? null
  return emulator.faults.evaluate({
    endpoint: 'token',
    path: normalizeFaultPath(req.path),
    method: req.method,
    query: {},
    clientId,
    now: emulator.clock.now(),
  })
}

/**
 * Sends the response a fault puts in place of a token response. A status
 * without a body gets the OAuth error `temporarily_unavailable`.
 */
function sendTokenFault(req: Request, res: Response, effect: TokenTerminalEffect): TokenOutcome {
  const base = { clientId: null, tenant: null, tokenId: null, reason: `fault ${effect.type}` }
  switch (effect.type) {
    case 'reset':
      req.socket.destroy()
      return { ...base, status: 0, body: Buffer.alloc(0) }

    case 'premature-204':
      res.status(204).end()
      return { ...base, status: 204, body: Buffer.alloc(0) }

    case 'html-error': {
      const status = effect.status ?? 500
      const body = Buffer.from(serverErrorHtml(status))
      res.status(status).setHeader('content-type', HTML_CONTENT_TYPE)
      res.end(body)
      return { ...base, status, body }
    }

    case 'rate-limit': {
      const retryAfter = String(effect.retryAfter ?? 60)
      const body = Buffer.from(JSON.stringify({ error: 'temporarily_unavailable' }))
      res.status(429).setHeader('retry-after', retryAfter)
      res.setHeader('content-type', JSON_CONTENT_TYPE)
      res.end(body)
      return { ...base, status: 429, body, retryAfter }
    }

    case 'status': {
      let body = Buffer.from(JSON.stringify({ error: 'temporarily_unavailable' }))
      if (typeof effect.body === 'string') body = Buffer.from(effect.body)
      else if (effect.body !== undefined) body = Buffer.from(JSON.stringify(effect.body))
      res.status(effect.status)
      const textBody = typeof effect.body === 'string'
      res.setHeader('content-type', textBody ? 'text/plain; charset=utf-8' : JSON_CONTENT_TYPE)
      for (const [name, value] of Object.entries(effect.headers ?? {})) {
        res.setHeader(name.toLowerCase(), value)
      }
      res.end(effect.status === 204 || effect.status === 304 ? undefined : body)
      return { ...base, status: effect.status, body }
    }
  }
}

/**
 * Creates the OAuth 2.0 token endpoint (client credentials grant only).
 * Clients authenticate with `client_id` and `client_secret` in the form body
 * or with HTTP Basic, not both. Fault rules whose path is `/connect/token`
 * or `/oauth/token` apply here too. Errors are 400 with an OAuth error body.
 * `invalid_client` carries no description, as IdentityServer sends it, so
 * the body does not tell an unknown client from a wrong secret.
 */
export function createTokenRouter(emulator: Emulator): Router {
  const router = express.Router({ caseSensitive: false })
  const parseForm = express.urlencoded({ extended: false, limit: '1mb', parameterLimit: 100 })

  router.post(TOKEN_PATHS, parseForm, async (req: Request, res: Response) => {
    const startedAt = performance.now()
    const fired = emulator.faults.size === 0 ? [] : evaluateTokenFaults(emulator, req)
    for (const rule of fired) {
      if (rule.effect.type === 'delay') await emulator.clock.sleep(rule.effect.ms)
    }

    for (const rule of fired) {
      if (!isTerminalTokenFault(rule.effect)) continue
      const outcome = sendTokenFault(req, res, rule.effect)
      recordTokenRequest(emulator, req, { ...outcome, faultId: rule.id }, startedAt)
      return
    }

    const outcome = issueToken(emulator, req)
    res.status(outcome.status)
    res.setHeader('content-type', JSON_CONTENT_TYPE)
    res.setHeader('cache-control', 'no-store')
    res.setHeader('pragma', 'no-cache')
    const bodyFault = fired.find(
      (rule) => rule.effect.type === 'malformed-json' || rule.effect.type === 'truncated-body',
    )
    if (bodyFault === undefined) {
      res.end(outcome.body)
      recordTokenRequest(emulator, req, outcome, startedAt)
      return
    }
    const sent = sendBrokenBody(req, res, outcome.body, bodyFault.effect)
    recordTokenRequest(emulator, req, { ...outcome, body: sent, faultId: bodyFault.id }, startedAt)
  })

  router.all(TOKEN_PATHS, (req: Request, res: Response) => {
    const startedAt = performance.now()
    const outcome = failure('invalid_request', 'The token endpoint accepts POST requests only.', 405)
    res.status(405).setHeader('allow', 'POST')
    res.setHeader('content-type', JSON_CONTENT_TYPE)
    res.end(outcome.body)
    recordTokenRequest(emulator, req, outcome, startedAt)
  })

  return router
}

function issueToken(emulator: Emulator, req: Request): TokenOutcome {
  if (!req.is('application/x-www-form-urlencoded')) {
    const type = req.headers['content-type'] ?? '(none)'
    return failure(
      'invalid_request',
      `Content-Type is ${type}; send the parameters as application/x-www-form-urlencoded.`,
    )
  }
  const form = (req.body ?? {}) as Record<string, unknown>
  const grantType = formField(form, 'grant_type')
  if (grantType === undefined) {
    return failure('invalid_request', 'grant_type is missing; send grant_type=client_credentials.')
  }
  if (grantType !== 'client_credentials') {
    return failure(
      'unsupported_grant_type',
      `grant_type "${grantType}" is not supported; send grant_type=client_credentials.`,
    )
  }

  const basic = parseBasicAuth(req.headers.authorization)
  const bodyClientId = formField(form, 'client_id')
  const bodySecret = formField(form, 'client_secret')
  if (req.headers.authorization !== undefined && basic === undefined) {
    return failure('invalid_client', undefined, 400, null, 'malformed Authorization header')
  }
  if (basic !== undefined && bodySecret !== undefined) {
    return failure(
      'invalid_request',
      'The client authenticated twice; send the credentials either as HTTP Basic or in the form body.',
    )
  }
  // RFC 6749 section 2.3.1: Basic credentials are form-urlencoded before base64.
  const clientId = basic !== undefined ? decodeFormComponent(basic.username) : bodyClientId
  const clientSecret = basic !== undefined ? decodeFormComponent(basic.password) : bodySecret
  if (clientId === undefined || clientId === '') {
    return failure('invalid_request', 'client_id is missing; send the OAuth client id.')
  }
  if (clientSecret === undefined || clientSecret === '') {
    return failure('invalid_request', 'client_secret is missing; send the OAuth client secret.', 400, clientId)
  }

  const found = emulator.findClient(clientId)
  if (found === undefined) return failure('invalid_client', undefined, 400, clientId, 'unknown client')
  // Compare even for a disabled client, so timing does not reveal which check failed.
  const secretOk = secretMatches(found.client, clientSecret)
  if (!found.client.enabled) {
    return failure('invalid_client', undefined, 400, clientId, 'client disabled', found.tenant.name)
  }
  if (!secretOk) {
    return failure('invalid_client', undefined, 400, clientId, 'wrong secret', found.tenant.name)
  }

  const lifetime = found.tenant.tokenLifetimeSeconds
  const { accessToken, record } = emulator.tokens.issue(
    found.tenant.name,
    clientId,
    emulator.clock.now(),
    lifetime,
  )
  const body = Buffer.from(
    JSON.stringify({ access_token: accessToken, token_type: 'Bearer', expires_in: lifetime }),
  )
  return { status: 200, body, clientId, tenant: found.tenant.name, tokenId: record.tokenId }
}

function failure(
  error: OAuthErrorCode,
  description: string | undefined,
  status = 400,
  clientId: string | null = null,
  reason?: string,
  tenant: string | null = null,
): TokenOutcome {
  const payload = description === undefined ? { error } : { error, error_description: description }
  return {
    status,
    body: Buffer.from(JSON.stringify(payload)),
    clientId,
    tenant,
    tokenId: null,
    reason: reason ?? description ?? error,
  }
}

function formField(form: Record<string, unknown>, name: string): string | undefined {
  const value = form[name]
  if (typeof value === 'string') return value
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0]
  return undefined
}

function decodeFormComponent(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '))
  } catch {
    return value
  }
}

function recordTokenRequest(
  emulator: Emulator,
  req: Request,
  outcome: TokenOutcome,
  startedAt: number,
): void {
  const durationMs = performance.now() - startedAt
  const path = req.path
  emulator.journalBuffer.append({
    time: emulator.clock.now(),
    method: req.method,
    path,
    query: {},
    tenant: outcome.tenant,
    clientId: outcome.clientId,
    headers: redactHeaders(req.headers),
    status: outcome.status,
    responseBytes: outcome.body.length,
    tokenId: outcome.tokenId,
    tokenRejected: false,
    retryAfter: outcome.retryAfter ?? null,
    rateLimitRemaining: null,
    faultId: outcome.faultId ?? null,
    durationMs,
  })
  if (outcome.status === 200) {
    emulator.logger.info(
      { clientId: outcome.clientId, tenant: outcome.tenant, tokenId: outcome.tokenId },
      'token issued',
    )
  } else {
    emulator.logger.info(
      { clientId: outcome.clientId, status: outcome.status, reason: outcome.reason },
      'token request rejected',
    )
  }
  emulator.logger.info({ method: req.method, path, status: outcome.status, durationMs }, 'request completed')
}
