import express, { type Express, type NextFunction, type Request, type Response } from 'express'
import { createAdminRouter } from './admin'
import { Emulator } from './emulator'
import { describeRequestError, ws1ErrorBody, type ClientErrorDescription } from './errors'
import { JSON_CONTENT_TYPE } from './headers'
import { createApiHandler } from './routes/api'
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
 */
export function createMockServer(options: CreateMockServerOptions = {}): {
  app: Express
  emulator: Emulator
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
  app.use('/api', handleApi)
  app.use(createTokenRouter(emulator, handleTokenRequest))
  app.use('/__admin', createAdminRouter(emulator))
  app.use((req: Request, res: Response) => {
    res.status(404).type('application/json').send({
      error: 'not_found',
      message: `No route for ${req.method} ${req.path}; the REST API is under /API, tokens at /connect/token, the control API under /__admin.`,
    })
  })
  app.use(createErrorHandler(emulator))
  return { app, emulator }
}

/** Length of the `/api` mount path. */
const API_PREFIX_LENGTH = 4
const SLASH = 0x2f

/**
 * Creates the first middleware, which hands `/API` requests and token POSTs
 * straight to their handlers. Each router layer costs time on every request,
 * and these two are the hot paths. For `/API` it rewrites `req.url` and
 * `req.baseUrl` as `app.use('/api', ...)` does, and restores them before
 * passing an error on. Every other request goes to the routers after it.
 */
function createHotPathDispatcher(
  handleApi: ReturnType<typeof createApiHandler>,
  handleTokenRequest: TokenRequestHandler,
) {
  return function dispatchHotPath(req: Request, res: Response, next: NextFunction): void {
    const url = req.url
    // Absolute-form and other unusual targets take the routers' slower, general path.
    if (url.charCodeAt(0) !== SLASH || url.charCodeAt(1) === SLASH) {
      next()
      return
    }
    const path = req.path.toLowerCase()
    if (path.startsWith('/api') && (path.length === API_PREFIX_LENGTH || path.charCodeAt(API_PREFIX_LENGTH) === SLASH)) {
      const parentBaseUrl = req.baseUrl
      const below = url.slice(API_PREFIX_LENGTH)
      req.baseUrl = parentBaseUrl + url.slice(0, API_PREFIX_LENGTH)
      req.url = below.charCodeAt(0) === SLASH ? below : `/${below}`
      const passOn = (error?: unknown): void => {
        req.baseUrl = parentBaseUrl
        req.url = url
        next(error)
      }
      handleApi(req, res, passOn).catch(passOn)
      return
    }
    if (req.method === 'POST' && TOKEN_PATHS.includes(path)) {
      handleTokenRequest(req, res).catch(next)
      return
    }
    next()
  }
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
