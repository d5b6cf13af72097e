import express, { type Request, type Response, type Router } from 'express'
import { JSON_CONTENT_TYPE } from '../headers'
import { redactHeaders } from '../journal'
import { parseBasicAuth, secretMatches } from '../oauth'
import type { Emulator } from '../emulator'

/** Token endpoint paths: the SaaS token service and on-premises servers. */
export const TOKEN_PATHS = ['/connect/token', '/oauth/token']

type OAuthErrorCode = 'invalid_request' | 'invalid_client' | 'unsupported_grant_type'

interface TokenOutcome {
  status: number
  body: Buffer
  clientId: string | null
  tenant: string | null
  tokenId: string | null
  /** Why a request was rejected, for the log; never a secret. */
  reason?: string
}

/**
 * Creates the OAuth 2.0 token endpoint (client credentials grant only).
 * Clients authenticate with `client_id` and `client_secret` in the form body
 * or with HTTP Basic, not both. Errors are 400 with an OAuth error body;
 * `invalid_client` carries no description, as IdentityServer sends it, so
 * the body does not tell an unknown client from a wrong secret.
 */
export function createTokenRouter(emulator: Emulator): Router {
  const router = express.Router({ caseSensitive: false })
  const parseForm = express.urlencoded({ extended: false, limit: '1mb', parameterLimit: 100 })

  router.post(TOKEN_PATHS, parseForm, (req: Request, res: Response) => {
    const startedAt = performance.now()
    const outcome = issueToken(emulator, req)
    res.status(outcome.status)
    res.setHeader('content-type', JSON_CONTENT_TYPE)
    res.setHeader('cache-control', 'no-store')
    res.setHeader('pragma', 'no-cache')
    res.end(outcome.body)
    recordTokenRequest(emulator, req, outcome, startedAt)
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
    retryAfter: null,
    rateLimitRemaining: null,
    faultId: null,
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
