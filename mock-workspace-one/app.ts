import express, { type Express, type NextFunction, type Request, type Response } from 'express'
import { createAdminRouter } from './admin'
import { Emulator } from './emulator'
import { describeRequestError, ws1ErrorBody, type ClientErrorDescription } from './errors'
import { JSON_CONTENT_TYPE } from './headers'
import { createApiHandler } from './routes/api'
import { API_ROUTES } from './routes/devices'
import { compileRoute } from './routes/table'
import { createTokenRouter, TOKEN_PATHS } from './routes/token'
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

  // The REST API comes first, so its requests skip the other routers' matching.
  const routes = API_ROUTES.map(compileRoute)
  app.use(
    '/api',
    createApiHandler(emulator, routes, {
      tls: options.tls !== undefined,
      ...(options.invalidTokenResponse === undefined
        ? {}
        : { invalidTokenResponse: options.invalidTokenResponse }),
    }),
  )
  app.use(createTokenRouter(emulator))
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
