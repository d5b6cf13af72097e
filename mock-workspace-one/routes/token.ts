import type { IncomingMessage, ServerResponse } from 'node:http'
import { parse as parseQueryString } from 'node:querystring'
import express, { type NextFunction, type Request, type Response, type Router } from 'express'
import type { Emulator } from '../emulator'
import { JSON_CONTENT_TYPE } from '../headers'
import { parseBasicAuth, secretMatches } from '../oauth'
import {
  evaluateTokenFaults,
  formField,
  isTerminalTokenFault,
  sendBrokenBody,
  sendTokenFault,
  type FormFields,
} from './token-faults'
import { requestPath } from './target'

/** Token endpoint paths: the SaaS token service and on-premises servers. */
export const TOKEN_PATHS = ['/connect/token', '/oauth/token']

/** Token request parameters rejected with invalid_request when repeated. */
const SINGLE_PARAMETERS = ['grant_type', 'client_id', 'client_secret', 'scope'] as const

type OAuthErrorCode = 'invalid_request' | 'invalid_client' | 'unsupported_grant_type'

const FORM_CONTENT_TYPE = /^application\/x-www-form-urlencoded\s*(;|$)/i
const MAX_FORM_BYTES = 1_048_576

type FormRead = { kind: 'form'; fields: FormFields } | { kind: 'not-form' } | { kind: 'too-large' }

const NOT_FORM: FormRead = { kind: 'not-form' }
const TOO_LARGE: FormRead = { kind: 'too-large' }

/** Outcome of one token request, for the response, the journal and the log. */
export interface TokenOutcome {
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

/**
 * Creates the OAuth 2.0 token endpoint (client credentials grant only).
 * Clients authenticate with `client_id` and `client_secret` in the form body
 * or with HTTP Basic, not both. Fault rules whose path is `/connect/token`
 * or `/oauth/token` apply here too. Errors are 400 with an OAuth error body.
 * `invalid_client` carries no description, as IdentityServer sends it, so
 * the body does not tell an unknown client from a wrong secret.
 */
export function createTokenRouter(
  emulator: Emulator,
  handleTokenRequest: TokenRequestHandler = createTokenHandler(emulator),
): Router {
  const router = express.Router({ caseSensitive: false })
  router.post(TOKEN_PATHS, (req: Request, res: Response, next: NextFunction) => handleTokenRequest(req, res, next))

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

/**
 * Handler of a POST to a token path. It uses only Node's request and
 * response API, so it also serves requests that Express never saw. It calls
 * `onError` on an unexpected error, such as a failed body read.
 */
export type TokenRequestHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  onError: (error: unknown) => void,
) => void

/**
 * Creates the handler of token requests (POST), which the app also calls
 * without the router. Without fault rules it sends the response from the
 * body's end event and creates no promise, because each promise is more
 * garbage on the hot path.
 */
export function createTokenHandler(emulator: Emulator): TokenRequestHandler {
  return function handleTokenRequest(req: IncomingMessage, res: ServerResponse, onError: (error: unknown) => void): void {
    const startedAt = performance.now()
    readForm(req, (error, read) => {
      if (error !== undefined) {
        onError(error)
        return
      }
      try {
        if (read.kind !== 'too-large' && emulator.faults.size > 0) {
          respondWithFaults(emulator, req, res, read, startedAt).catch(onError)
          return
        }
        respond(emulator, req, res, read, startedAt)
      } catch (thrown) {
        onError(thrown)
      }
    })
  }
}

/** Sends the response to a token request when no fault rule exists. */
function respond(
  emulator: Emulator,
  req: IncomingMessage,
  res: ServerResponse,
  read: FormRead,
  startedAt: number,
): void {
  if (read.kind === 'too-large') {
    const outcome = failure('invalid_request', 'The request body is larger than 1 MB.', 413)
    res.writeHead(413, { 'content-type': JSON_CONTENT_TYPE, connection: 'close' })
    res.end(outcome.body)
    recordTokenRequest(emulator, req, outcome, startedAt)
    return
  }
  const outcome = issueToken(emulator, req, read.kind === 'form' ? read.fields : undefined)
  sendOutcome(res, outcome)
  recordTokenRequest(emulator, req, outcome, startedAt)
}

function sendOutcome(res: ServerResponse, outcome: TokenOutcome): void {
  res.writeHead(outcome.status, [
    'content-type',
    JSON_CONTENT_TYPE,
    'cache-control',
    'no-store',
    'pragma',
    'no-cache',
    'content-length',
    String(outcome.body.length),
  ])
  res.end(outcome.body)
}

/** Sends the response to a token request after evaluating the fault rules. */
async function respondWithFaults(
  emulator: Emulator,
  req: IncomingMessage,
  res: ServerResponse,
  read: Exclude<FormRead, { kind: 'too-large' }>,
  startedAt: number,
): Promise<void> {
  const form = read.kind === 'form' ? read.fields : undefined
  const fired = evaluateTokenFaults(emulator, req, form ?? {})
  for (const rule of fired) {
    if (rule.effect.type === 'delay') await emulator.clock.sleep(rule.effect.ms)
  }

  for (const rule of fired) {
    if (!isTerminalTokenFault(rule.effect)) continue
    const outcome = sendTokenFault(req, res, rule.effect)
    recordTokenRequest(emulator, req, { ...outcome, faultId: rule.id }, startedAt)
    return
  }

  const outcome = issueToken(emulator, req, form)
  const bodyFault = fired.find(
    (rule) => rule.effect.type === 'malformed-json' || rule.effect.type === 'truncated-body',
  )
  if (bodyFault === undefined) {
    sendOutcome(res, outcome)
    recordTokenRequest(emulator, req, outcome, startedAt)
    return
  }
  res.statusCode = outcome.status
  res.setHeader('content-type', JSON_CONTENT_TYPE)
  res.setHeader('cache-control', 'no-store')
  const sent = sendBrokenBody(req, res, outcome.body, bodyFault.effect)
  recordTokenRequest(emulator, req, { ...outcome, body: sent, faultId: bodyFault.id }, startedAt)
}

/**
 * Reads a form-encoded body of at most 1 MB without a body-parser stack,
 * because the token endpoint is on every benchmark's hot path. Bodies of
 * another content type are left unread. `done` gets either an error or
 * the result, once.
 */
function readForm(req: IncomingMessage, done: (error: unknown, read: FormRead) => void): void {
  if (!FORM_CONTENT_TYPE.test(req.headers['content-type'] ?? '')) {
    done(undefined, NOT_FORM)
    return
  }
  const declared = Number(req.headers['content-length'] ?? 0)
  if (declared > MAX_FORM_BYTES) {
    done(undefined, TOO_LARGE)
    return
  }
  let first: Buffer | undefined
  let chunks: Buffer[] | undefined
  let length = 0
  let settled = false
  const settle = (error: unknown, read: FormRead): void => {
    if (settled) return
    settled = true
    req.off('data', onData)
    req.off('end', onEnd)
    done(error, read)
  }
  const onData = (chunk: Buffer): void => {
    length += chunk.length
    if (length > MAX_FORM_BYTES) {
      settle(undefined, TOO_LARGE)
      return
    }
    if (first === undefined) first = chunk
    else (chunks ??= [first]).push(chunk)
  }
  const onEnd = (): void => {
    let fields: FormFields
    try {
      const body = chunks !== undefined ? Buffer.concat(chunks) : first
      fields = parseQueryString(body === undefined ? '' : body.toString('utf8'), '&', '=', { maxKeys: 100 })
    } catch (error) {
      settle(error, TOO_LARGE)
      return
    }
    settle(undefined, { kind: 'form', fields })
  }
  req.on('data', onData)
  req.once('end', onEnd)
  // The listener stays after the body is read, so a late stream error is not thrown as unhandled.
  req.once('error', (error: unknown) => settle(error, TOO_LARGE))
}

function issueToken(emulator: Emulator, req: IncomingMessage, form: FormFields | undefined): TokenOutcome {
  if (form === undefined) {
    const type = req.headers['content-type'] ?? '(none)'
    return failure(
      'invalid_request',
      `Content-Type is ${type}; send the parameters as application/x-www-form-urlencoded.`,
    )
  }
  // RFC 6749 section 3.2: request parameters must not be included more than once.
  const repeated = SINGLE_PARAMETERS.find((name) => Array.isArray(form[name]))
  if (repeated !== undefined) {
    return failure('invalid_request', `${repeated} appears more than once; send each parameter once.`)
  }
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


function decodeFormComponent(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '))
  } catch {
    return value
  }
}

function recordTokenRequest(
  emulator: Emulator,
  req: IncomingMessage,
  outcome: TokenOutcome,
  startedAt: number,
): void {
  const durationMs = performance.now() - startedAt
  const path = requestPath(req)
  emulator.journalBuffer.append({
    time: emulator.clock.now(),
    method: req.method ?? 'POST',
    path,
    query: {},
    tenant: outcome.tenant,
    clientId: outcome.clientId,
    headers: req.headers,
    status: outcome.status,
    responseBytes: outcome.body.length,
    tokenId: outcome.tokenId,
    tokenRejected: false,
    retryAfter: outcome.retryAfter ?? null,
    rateLimitRemaining: null,
    faultId: outcome.faultId ?? null,
    durationMs,
  })
  // Building the log fields costs time on every token request, so skip it when info is off.
  if (!emulator.logger.isLevelEnabled('info')) return
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
