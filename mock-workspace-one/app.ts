import type { IncomingMessage, ServerResponse } from 'node:http'
import express, { type Express, type NextFunction, type Request, type Response } from 'express'
import { createAdminRouter } from './admin'
import { Emulator } from './emulator'
import { UNKNOWN_ROUTE_HTML, describeRequestError, ws1ErrorBody, type ClientErrorDescription } from './errors'
import { HTML_CONTENT_TYPE, JSON_CONTENT_TYPE } from './headers'
import { createApiHandler, type ApiRequestHandler } from './routes/api'
import { splitRequestTarget } from './routes/target'
import { API_ROUTES } from './routes/devices'
import { compileRoute } from './routes/table'
import { createTokenHandler, createTokenRouter, TOKEN_PATHS, type TokenRequestHandler } from './routes/token'
import type { MockServerOptions } from './types'

/** Options of createMockServer and startMockServer; the same as the public MockServerOptions. */
export type CreateMockServerOptions = MockServerOptions

/**
 * Creates the emulator's Express app over its tenants, without listening.
 * Routes: the token endpoint (`/connect/token`, `/oauth/token`), the REST
 * API under `/API` (any letter case) and the control API under `/__admin`.
 * `handleRequest` serves the same routes as `app` and is the listener
 * `startMockServer` uses. It serves the hot paths without entering the
 * Express router.
 */
export function createMockServer(options: CreateMockServerOptions = {}): {
  app: Express
  emulator: Emulator
  handleRequest: (req: IncomingMessage, res: ServerResponse) => void
} {
  const emulator = new Emulator(options)
  const invalidTokenStatus = options.invalidTokenResponse?.status
  if (
    invalidTokenStatus !== undefined &&
    (!Number.isInteger(invalidTokenStatus) || invalidTokenStatus < 400 || invalidTokenStatus > 599)
  ) {
    throw new TypeError(
      `invalidTokenResponse.status must be an HTTP error status 400..599, got ${String(invalidTokenStatus)}.`,
    )
  }
  const app = express()
  // Express hashes every body for an ETag by default; real tenants send none, and it costs throughput.
  app.set('etag', false)
  app.disable('x-powered-by')
  app.set('query parser', 'simple')

  const routes = API_ROUTES.map(compileRoute)
  const handleApi = createApiHandler(emulator, routes, {
    tls: options.tls !== undefined,
    ...(options.invalidTokenResponse === undefined
      ? {}
      : { invalidTokenResponse: options.invalidTokenResponse }),
  })
  const handleTokenRequest = createTokenHandler(emulator)
  app.use(createHotPathDispatcher(handleApi, handleTokenRequest))
  // The mounted routes below serve what the dispatcher passes on, such as absolute-form URLs.
  // Express takes a function of four parameters for an error handler, so mount handleApi with three.
  app.use('/api', (req: Request, res: Response, next: NextFunction) => handleApi(req, res, next))
  app.use(createTokenRouter(emulator, handleTokenRequest))
  app.use('/__admin', createAdminRouter(emulator))
  // A tenant's IIS sends an HTML 404 for any unknown path, not only under
  // /API. The control API keeps its own JSON 404.
  // NOTE: only the /API page was captured from a tenant; other paths are
  // assumed to get the same page.
  app.use((_req: Request, res: Response) => {
    res.status(404).setHeader('content-type', HTML_CONTENT_TYPE)
    res.end(UNKNOWN_ROUTE_HTML)
  })
  const handleError = createErrorHandler(emulator)
  app.use(handleError)
  const handleRequest = createRequestListener(app, handleApi, handleTokenRequest, handleError)
  return { app, emulator, handleRequest }
}

/**
 * Creates the server's request listener. A hot-path request skips Express's
 * application and router dispatch, which took a measurable share of the CPU
 * time of a token response. The hot handlers use only Node's request and
 * response API, so the listener gives a request Express's prototypes only
 * when it needs them: for a target that `splitRequestTarget` leaves to
 * Express, and before the app's error handler. Every other request goes to
 * the app.
 */
function createRequestListener(
  app: Express,
  handleApi: ApiRequestHandler,
  handleTokenRequest: TokenRequestHandler,
  handleError: ReturnType<typeof createErrorHandler>,
) {
  return function handleRequest(incoming: IncomingMessage, outgoing: ServerResponse): void {
    const url = incoming.url ?? ''
    const api = isApiUrl(url)
    if (!api && !(incoming.method === 'POST' && isTokenUrl(url))) {
      app(incoming, outgoing)
      return
    }
    const req = incoming as Request
    const res = outgoing as Response
    req.originalUrl = url
    req.baseUrl = ''
    if (api && splitRequestTarget(url) === undefined) useExpressPrototypes(app, req, res)
    const onError = (error?: unknown): void => {
      if (error === undefined) {
        app(req, res)
        return
      }
      useExpressPrototypes(app, req, res)
      handleError(error, req, res, onError)
    }
    serveHotPath(handleApi, handleTokenRequest, req, res, onError)
  }
}

/** Gives a request and its response the prototypes and fields that Express's `app.handle` sets. */
function useExpressPrototypes(app: Express, req: Request, res: Response): void {
  if (Object.getPrototypeOf(req) === app.request) return
  Object.setPrototypeOf(req, app.request)
  Object.setPrototypeOf(res, app.response)
  req.res = res
  res.req = req
  res.locals ??= Object.create(null) as Response['locals']
}

/** Length of the `/api` mount path. */
const API_PREFIX_LENGTH = 4
const SLASH = 0x2f
const QUESTION_MARK = 0x3f

/**
 * Creates the first middleware, which hands `/API` requests and token POSTs
 * straight to their handlers, because each router layer costs time on every
 * request and these two are the hot paths. Every other request, including a
 * token path with a query or a trailing slash, goes to the routers after it.
 */
function createHotPathDispatcher(
  handleApi: ApiRequestHandler,
  handleTokenRequest: TokenRequestHandler,
) {
  return function dispatchHotPath(req: Request, res: Response, next: NextFunction): void {
    if (!serveHotPath(handleApi, handleTokenRequest, req, res, next)) next()
  }
}

/**
 * Serves a request if it is on a hot path and returns true, or returns false
 * without touching it. For `/API` it rewrites `req.url` and `req.baseUrl` as
 * `app.use('/api', ...)` does, and restores them before passing an error to
 * `next`. It splits the raw URL itself and hands the parts to the API
 * handler, so the path and query are parsed once per request.
 */
function serveHotPath(
  handleApi: ApiRequestHandler,
  handleTokenRequest: TokenRequestHandler,
  req: Request,
  res: Response,
  next: NextFunction,
): boolean {
  const url = req.url
  if (isApiUrl(url)) {
    const parentBaseUrl = req.baseUrl
    const below = url.slice(API_PREFIX_LENGTH)
    req.baseUrl = parentBaseUrl + url.slice(0, API_PREFIX_LENGTH)
    req.url = below.charCodeAt(0) === SLASH ? below : `/${below}`
    const passOn = (error?: unknown): void => {
      req.baseUrl = parentBaseUrl
      req.url = url
      next(error)
    }
    let pending: Promise<void> | undefined
    try {
      pending = handleApi(req, res, passOn, splitRequestTarget(req.url))
    } catch (error) {
      passOn(error)
      return true
    }
    pending?.catch(passOn)
    return true
  }
  if (req.method === 'POST' && isTokenUrl(url)) {
    // A throw here would otherwise reach the HTTP server's request event and end the process.
    try {
      handleTokenRequest(req, res, next)
    } catch (error) {
      next(error)
    }
    return true
  }
  return false
}

/** Tests whether a request target is `/api`, in any letter case, alone or followed by `/` or a query. */
function isApiUrl(url: string): boolean {
  if (url.charCodeAt(0) !== SLASH) return false
  const after = url.charCodeAt(API_PREFIX_LENGTH)
  // charCodeAt past the end returns NaN, so NaN means the target is `/api` alone.
  if (!(Number.isNaN(after) || after === SLASH || after === QUESTION_MARK)) return false
  return url.slice(1, API_PREFIX_LENGTH).toLowerCase() === 'api'
}

/** Tests whether a request target is exactly one of the token paths, in any letter case. */
function isTokenUrl(url: string): boolean {
  for (const path of TOKEN_PATHS) {
    if (url.length === path.length && url.toLowerCase() === path) return true
  }
  return false
}

/**
 * Turns any error that reaches Express into a clean response: 4xx for
 * body-parser errors, 500 for bugs, never a stack trace. Under /API the body
 * has the Workspace ONE shape, on the token endpoint the OAuth shape, and
 * elsewhere `{"error","message"}`.
 */
function createErrorHandler(emulator: Emulator) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    if (res.headersSent) {
      const fields = { err: error, method: req.method, path: req.path }
      emulator.logger.error(fields, 'response failed after headers')
      req.socket.destroy()
      return
    }
    const { status, code, message } = describeError(error)
    if (status >= 500) {
      emulator.logger.error({ err: error, method: req.method, path: req.path }, 'request failed')
    }
    res.status(status)
    if (TOKEN_PATHS.includes(req.path.toLowerCase())) {
      res.type('application/json').send({ error: 'invalid_request', error_description: message })
      return
    }
    if (/^\/api(\/|$)/i.test(req.path)) {
      res.setHeader('content-type', JSON_CONTENT_TYPE)
      res.end(ws1ErrorBody(status, message, emulator.activityIds.next()))
      return
    }
    res.type('application/json').send({ error: code, message })
  }
}

function describeError(error: unknown): ClientErrorDescription {
  const requestError = describeRequestError(error)
  if (requestError !== undefined) return requestError
  return {
    status: 500,
    code: 'internal_error',
    message: 'An internal error occurred in the emulator; see its log.',
  }
}
