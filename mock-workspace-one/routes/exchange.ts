import type { Request, Response } from 'express'
import type { Emulator } from '../emulator'
import {
  apiHeaderList,
  writeApiHeaders,
  type RateLimitHeaders,
  type VersionHeaders,
} from '../headers'
import type { Tenant } from '../tenant'

/** Per-request state of one /API call, from arrival to the journal entry. */
export interface ApiExchange {
  req: Request
  res: Response
  /** Request path below /API, without the query. */
  path: string
  startedAt: number
  now: number
  correlationId: string
  query: Record<string, string>
  queryLower: Record<string, string>
  tenant: Tenant | undefined
  clientId: string | null
  tokenId: string | null
  tokenRejected: boolean
  rateLimit: RateLimitHeaders | undefined
  version: VersionHeaders | undefined
  retryAfter: string | null
  faultId: string | null
}

/** Sends 204 with the correlation, rate-limit and version headers but no content headers. */
export function sendNoContent(emulator: Emulator, exchange: ApiExchange): void {
  const { res } = exchange
  res.writeHead(204, apiHeaderList(exchange.correlationId, exchange.rateLimit, exchange.version))
  res.end()
  finishExchange(emulator, exchange, 204, 0)
}

/**
 * Sends a complete response. `apiHeaders` false sends the bare IIS-style
 * page; `extraHeaders` come last, so a fault can override any header.
 */
export function sendRaw(
  emulator: Emulator,
  exchange: ApiExchange,
  status: number,
  body: Buffer,
  contentType: string,
  apiHeaders: boolean,
  extraHeaders?: Record<string, string>,
): void {
  const { res } = exchange
  if (extraHeaders === undefined) {
    // writeHead with a flat list skips the per-header bookkeeping of setHeader on the hot path.
    const headers = apiHeaders
      ? apiHeaderList(exchange.correlationId, exchange.rateLimit, exchange.version)
      : []
    headers.push('content-type', contentType, 'content-length', String(body.length))
    res.writeHead(status, headers)
  } else {
    res.statusCode = status
    if (apiHeaders) writeApiHeaders(res, exchange.correlationId, exchange.rateLimit, exchange.version)
    res.setHeader('content-type', contentType)
    for (const [name, value] of Object.entries(extraHeaders)) res.setHeader(name, value)
    res.setHeader('content-length', body.length)
  }
  res.end(exchange.req.method === 'HEAD' ? undefined : body)
  finishExchange(emulator, exchange, status, body.length)
}

/** Appends the journal entry and logs the completed request. */
export function finishExchange(
  emulator: Emulator,
  exchange: ApiExchange,
  status: number,
  bytes: number,
): void {
  const durationMs = performance.now() - exchange.startedAt
  const path = exchange.req.originalUrl.split('?', 1)[0] ?? exchange.req.originalUrl
  emulator.journalBuffer.append({
    time: exchange.now,
    method: exchange.req.method,
    path,
    query: exchange.query,
    tenant: exchange.tenant?.name ?? null,
    clientId: exchange.clientId,
    headers: exchange.req.headers,
    status,
    responseBytes: bytes,
    tokenId: exchange.tokenId,
    tokenRejected: exchange.tokenRejected,
    retryAfter: exchange.retryAfter,
    rateLimitRemaining: exchange.rateLimit?.remaining ?? null,
    faultId: exchange.faultId,
    durationMs,
  })
  if (emulator.logger.isLevelEnabled('info')) {
    emulator.logger.info(
      { method: exchange.req.method, path, status, durationMs, correlationId: exchange.correlationId },
      'request completed',
    )
  }
}
