import { parse as parseQueryString } from 'node:querystring'
import express, { type NextFunction, type Request, type Response } from 'express'
import type { Emulator } from '../emulator'
import { ApiError, UNKNOWN_ROUTE_HTML, ws1ErrorBody } from '../errors'
import { HTML_CONTENT_TYPE, JSON_CONTENT_TYPE, type VersionHeaders } from '../headers'
import { parseBasicAuth, parseBearer, type TokenCheck } from '../oauth'
import type { Tenant } from '../tenant'
import type { FaultRule, InvalidTokenResponse } from '../types'
import { sendNoContent, sendRaw, type ApiExchange } from './exchange'
import type { RequestTarget } from './target'
import { applyBodyFault, applyPreFault, isBodyFault, isPreFault, sendTerminalFault } from './fault-effects'
import {
  matchRoute,
  requestedVersion,
  versionHeadersFor,
  type ApiResult,
  type CompiledRoute,
  type RouteContext,
} from './table'

const UNKNOWN_ROUTE_BODY = Buffer.from(UNKNOWN_ROUTE_HTML)

/** Body of the 401 for an unknown, expired or revoked bearer token, unless options replace it. */
export const DEFAULT_INVALID_TOKEN_MESSAGE = 'The access token is invalid or has expired.'


/**
 * Handler of everything under /API. `target`, when given, is `req.url` split
 * by the caller, which saves parsing it again. With a target it must use
 * only Node's request and response API, because the server's listener sets
 * no Express prototypes then. It returns a promise only when the response
 * is not sent by the time it returns.
 */
export type ApiRequestHandler = (
  req: Request,
  res: Response,
  next: NextFunction,
  target?: RequestTarget,
) => Promise<void> | undefined

/** The credentials a request carries, resolved before any verdict. */
type Credentials =
  | { kind: 'bearer'; token: string; check: TokenCheck }
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'none' }

/**
 * Creates the handler of everything under /API. It first looks up the
 * route, and unknown paths get the ASP.NET 404 page. It then reads the
 * credentials and evaluates fault rules: delay, expire-token and
 * mutate-fleet act first, and other effects replace the response. Next come
 * authentication, the tenant code and rate limits. Last, the endpoint
 * renders its body, which a body fault may rewrite.
 */
export function createApiHandler(
  emulator: Emulator,
  routes: CompiledRoute[],
  options: { tls: boolean; invalidTokenResponse?: InvalidTokenResponse },
): ApiRequestHandler {
  const parseJson = express.json({ limit: '1mb', type: () => true, strict: false })

  /**
   * Serves one request. Without fault rules, a JSON body or an asynchronous
   * route handler, it runs to the response in one synchronous call and
   * returns undefined, because a promise per request costs time on the hot
   * path. Otherwise it returns a promise that settles once the response is
   * sent. The promise does not reject, because errors become responses.
   */
  return function handleApi(
    req: Request,
    res: Response,
    next: NextFunction,
    target?: RequestTarget,
  ): Promise<void> | undefined {
    const exchange = startExchange(emulator, req, res, target)
    const fail = (error: unknown): void => {
      if (res.headersSent) {
        next(error)
        return
      }
      sendError(emulator, exchange, error)
    }
    try {
      const match = findRoute(exchange)
      if (match === undefined) return undefined
      if (emulator.faults.size > 0 || match.route.jsonBody === true) {
        return serveWithFaults(exchange, match).catch(fail)
      }
      const tenant = admit(emulator, exchange, readCredentials(emulator, exchange))
      if (tenant === undefined) return undefined
      const handled = match.route.handle(routeContext(exchange, tenant, match.params), undefined)
      if (handled instanceof Promise) {
        return handled.then((result) => sendResult(emulator, exchange, result)).catch(fail)
      }
      sendResult(emulator, exchange, handled)
    } catch (error) {
      fail(error)
    }
    return undefined
  }

  /** Finds the route and sets the version headers. For an unknown path it sends the 404 page and returns undefined. */
  function findRoute(exchange: ApiExchange): { route: CompiledRoute; params: string[] } | undefined {
    const { req, res } = exchange
    const match = matchRoute(routes, req.method, exchange.path)
    if (match.kind === 'not-found') {
      sendRaw(emulator, exchange, 404, UNKNOWN_ROUTE_BODY, HTML_CONTENT_TYPE, false)
      return undefined
    }
    if (match.kind === 'method-not-allowed') {
      res.setHeader('allow', match.allowed.join(', '))
      throw new ApiError(
        405,
        405,
        `The requested resource does not support http method '${req.method}'; use ${match.allowed.join(' or ')}.`,
      )
    }
    exchange.version = versionHeadersFor(match.route, requestedVersion(req.headers.accept))
    return match
  }

  /** Serves a request when fault rules exist or the route reads a JSON body. It rejects with the error to send. */
  async function serveWithFaults(
    exchange: ApiExchange,
    { route, params }: { route: CompiledRoute; params: string[] },
  ): Promise<void> {
    const { req, res } = exchange
    let credentials = readCredentials(emulator, exchange)
    const fired = emulator.faults.size === 0 ? [] : evaluateFaults(emulator, exchange)
    for (const rule of fired) {
      if (!isPreFault(rule.effect)) continue
      exchange.faultId ??= rule.id
      await applyPreFault(emulator, exchange, rule.effect, credentials)
    }
    if (fired.some((rule) => rule.effect.type === 'expire-token')) {
      credentials = readCredentials(emulator, exchange)
    }
    const terminal = fired.find((rule) => !isPreFault(rule.effect) && !isBodyFault(rule.effect))
    if (terminal !== undefined) {
      exchange.faultId = terminal.id
      exchange.rateLimit = exchange.tenant?.rateLimiter.peek(exchange.now)
      sendTerminalFault(emulator, exchange, terminal.effect)
      return
    }

    const tenant = admit(emulator, exchange, credentials)
    if (tenant === undefined) return
    const body = route.jsonBody === true ? await readJsonBody(parseJson, req, res) : undefined
    let result: ApiResult = await route.handle(routeContext(exchange, tenant, params), body)
    const bodyFault = fired.find((rule) => isBodyFault(rule.effect))
    if (bodyFault !== undefined) {
      exchange.faultId = bodyFault.id
      const rewritten = applyBodyFault(emulator, exchange, bodyFault.effect, result)
      if (rewritten === undefined) return
      result = rewritten
    }
    sendResult(emulator, exchange, result)
  }

  /**
   * Authenticates the request and counts it against the tenant's rate limits.
   * Returns undefined when it already sent the rejection, and throws the
   * ApiError to send for other failures, 429 included.
   */
  function admit(emulator: Emulator, exchange: ApiExchange, credentials: Credentials): Tenant | undefined {
    const tenant = authenticate(emulator, exchange, credentials)
    if (tenant === undefined) return undefined
    const decision = tenant.rateLimiter.consume(exchange.now)
    exchange.rateLimit = decision.headers
    if (!decision.allowed) {
      exchange.retryAfter = String(decision.retryAfterSeconds)
      exchange.res.setHeader('retry-after', exchange.retryAfter)
      throw new ApiError(429, 429, `${decision.message} Retry after ${decision.retryAfterSeconds} seconds.`)
    }
    return tenant
  }

  function routeContext(exchange: ApiExchange, tenant: Tenant, params: string[]): RouteContext {
    const { req } = exchange
    return {
      req,
      tenant,
      query: exchange.query,
      queryLower: exchange.queryLower,
      params,
      version: Number((exchange.version as VersionHeaders).served.slice(1)),
      baseUrl: `${options.tls ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}/API`,
    }
  }

  /** Checks credentials and the tenant code; sends the error and returns undefined when they fail. */
  function authenticate(
    emulator: Emulator,
    exchange: ApiExchange,
    credentials: Credentials,
  ): Tenant | undefined {
    const presentedCode = headerValue(exchange.req, 'aw-tenant-code')
    if (credentials.kind === 'bearer') {
      const { check } = credentials
      if (check.status !== 'valid') {
        exchange.tokenRejected = check.status !== 'unknown'
        sendInvalidToken(emulator, exchange, check.status, options.invalidTokenResponse)
        return undefined
      }
      const tenant = exchange.tenant as Tenant
      if (presentedCode !== undefined) {
        if (!tenant.tenantCodeMatches(presentedCode)) throw invalidTenantCodeError(presentedCode)
      } else if (tenant.requireTenantCodeWithOAuth) {
        throw missingTenantCode()
      }
      return tenant
    }
    if (credentials.kind === 'basic') {
      if (presentedCode === undefined) throw missingTenantCode()
      const tenant = emulator.tenantByCode(presentedCode)
      if (tenant === undefined) throw invalidTenantCodeError(presentedCode)
      exchange.tenant = tenant
      if (!tenant.adminMatches(credentials.username, credentials.password)) {
        throw new ApiError(
          401,
          1005,
          'An error occurred while validating remote service client credentials or user not found : ' +
            credentials.username,
        )
      }
      return tenant
    }
    exchange.res.setHeader('www-authenticate', 'Bearer')
    throw new ApiError(
      401,
      1005,
      'The request has no valid Authorization header; send "Bearer <access token>" or Basic credentials with aw-tenant-code.',
    )
  }
}

function startExchange(
  emulator: Emulator,
  req: Request,
  res: Response,
  target: RequestTarget | undefined,
): ApiExchange {
  const query: Record<string, string> = {}
  const queryLower: Record<string, string> = {}
  // The app sets the "simple" query parser, which is querystring.parse, so both branches agree.
  const parsed: Record<string, unknown> =
    target === undefined ? (req.query as Record<string, unknown>) : parseQueryString(target.search)
  for (const key of Object.keys(parsed)) {
    const raw = parsed[key]
    const value = typeof raw === 'string' ? raw : Array.isArray(raw) ? String(raw[0] ?? '') : ''
    query[key] = value
    queryLower[key.toLowerCase()] ??= value
  }
  return {
    req,
    res,
    path: target === undefined ? req.path : target.path,
    startedAt: performance.now(),
    now: emulator.clock.now(),
    correlationId: emulator.correlationIds.next(),
    query,
    queryLower,
    tenant: undefined,
    clientId: null,
    tokenId: null,
    tokenRejected: false,
    rateLimit: undefined,
    version: undefined,
    retryAfter: null,
    faultId: null,
  }
}

function readCredentials(emulator: Emulator, exchange: ApiExchange): Credentials {
  const header = exchange.req.headers.authorization
  const token = parseBearer(header)
  if (token !== undefined) {
    const check = emulator.tokens.check(token, emulator.clock.now())
    if (check.status !== 'unknown') {
      exchange.clientId = check.record.clientId
      exchange.tokenId = check.record.tokenId
      exchange.tenant = safeTenant(emulator, check.record.tenantName)
    }
    return { kind: 'bearer', token, check }
  }
  const basic = parseBasicAuth(header)
  if (basic !== undefined) return { kind: 'basic', ...basic }
  return { kind: 'none' }
}

function safeTenant(emulator: Emulator, name: string): Tenant | undefined {
  try {
    return emulator.tenant(name)
  } catch {
    return undefined
  }
}

function evaluateFaults(emulator: Emulator, exchange: ApiExchange): Array<FaultRule & { id: string }> {
  return emulator.faults.evaluate({
    endpoint: 'api',
    path: exchange.path.toLowerCase().replace(/\/+$/, '') || '/',
    method: exchange.req.method,
    query: exchange.queryLower,
    clientId: exchange.clientId,
    now: exchange.now,
  })
}

function headerValue(req: Request, name: string): string | undefined {
  const value = req.headers[name]
  return Array.isArray(value) ? value[0] : value
}

function invalidTenantCodeError(code: string): ApiError {
  return new ApiError(403, 1013, `Tenant code ${code} does not identify an Organization Group.`)
}

function missingTenantCode(): ApiError {
  return new ApiError(
    400,
    400,
    'The aw-tenant-code header is missing; send the REST API key of the organization group.',
  )
}

function readJsonBody(
  parseJson: ReturnType<typeof express.json>,
  req: Request,
  res: Response,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    parseJson(req, res, (error?: unknown) => {
      if (error === undefined) {
        resolve(req.body)
        return
      }
      const type = (error as { type?: string }).type
      if (type === 'entity.too.large') {
        reject(new ApiError(413, 413, 'The request body is larger than 1 MB; send fewer values per request.'))
      } else if (type === 'entity.parse.failed') {
        reject(new ApiError(400, 400, 'The request body is not valid JSON; send a JSON object.'))
      } else {
        reject(new ApiError(400, 400, 'The request body could not be read; send a JSON object.'))
      }
    })
  })
}

function sendResult(emulator: Emulator, exchange: ApiExchange, result: ApiResult): void {
  if (result.status === 204 || result.body === undefined) {
    sendNoContent(emulator, exchange)
    return
  }
  sendRaw(emulator, exchange, result.status, result.body, result.contentType ?? JSON_CONTENT_TYPE, true)
}

function sendInvalidToken(
  emulator: Emulator,
  exchange: ApiExchange,
  status: TokenCheck['status'],
  custom: InvalidTokenResponse | undefined,
): void {
  const description = status === 'expired' ? 'The access token expired' : 'The access token is invalid'
  exchange.res.setHeader('www-authenticate', `Bearer error="invalid_token", error_description="${description}"`)
  for (const [name, value] of Object.entries(custom?.headers ?? {})) exchange.res.setHeader(name, value)
  let body: Buffer
  if (custom?.body !== undefined) {
    body = Buffer.from(typeof custom.body === 'string' ? custom.body : JSON.stringify(custom.body))
  } else {
    body = ws1ErrorBody(1005, DEFAULT_INVALID_TOKEN_MESSAGE, emulator.activityIds.next())
  }
  sendRaw(emulator, exchange, custom?.status ?? 401, body, JSON_CONTENT_TYPE, true)
}

function sendError(emulator: Emulator, exchange: ApiExchange, error: unknown): void {
  const apiError = toApiError(emulator, exchange, error)
  for (const [name, value] of Object.entries(apiError.headers)) exchange.res.setHeader(name, value)
  const body = ws1ErrorBody(apiError.errorCode, apiError.message, emulator.activityIds.next())
  sendRaw(emulator, exchange, apiError.status, body, JSON_CONTENT_TYPE, true)
}

function toApiError(emulator: Emulator, exchange: ApiExchange, error: unknown): ApiError {
  if (error instanceof ApiError) return error
  const storeCode = (error as { code?: unknown }).code
  const message = error instanceof Error ? error.message : String(error)
  if (error instanceof Error && error.name === 'StoreError') {
    if (storeCode === 'not_found') return new ApiError(404, 5061, 'Device not found for this request.')
    return new ApiError(400, 400, message)
  }
  const { req, correlationId } = exchange
  emulator.logger.error({ err: error, method: req.method, path: exchange.path, correlationId }, 'request failed')
  return new ApiError(500, 500, 'An internal error occurred in the emulator; see its log for the correlation id.')
}
