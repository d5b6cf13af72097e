import type { Emulator } from '../emulator'
import { serverErrorHtml, ws1ErrorBody } from '../errors'
import type { FaultEffect } from '../faults'
import { HTML_CONTENT_TYPE, JSON_CONTENT_TYPE, writeApiHeaders } from '../headers'
import { finishExchange, sendNoContent, sendRaw, type ApiExchange } from './exchange'
import type { ApiResult, PageInfo } from './table'

type PreEffect = Extract<FaultEffect, { type: 'delay' | 'expire-token' | 'mutate-fleet' }>
type BodyEffect = Extract<
  FaultEffect,
  { type: 'malformed-json' | 'truncated-body' | 'wrong-total' | 'empty-page' | 'missing-envelope' }
>
type TerminalEffect = Exclude<FaultEffect, PreEffect | BodyEffect>

const DEFAULT_RETRY_AFTER_SECONDS = 60

/** Body that malformed-json and truncated-body break when the endpoint had none, as on a 204. */
const PLACEHOLDER_PAGE = '{"Devices":[{"Id":{"Value":1}}],"Page":0,"PageSize":500,"Total":1}'

/** Effects that act before the request is served and then let it continue. */
export function isPreFault(effect: FaultEffect): effect is PreEffect {
  return effect.type === 'delay' || effect.type === 'expire-token' || effect.type === 'mutate-fleet'
}

/** Effects that rewrite the body the endpoint rendered. */
export function isBodyFault(effect: FaultEffect): effect is BodyEffect {
  return (
    effect.type === 'malformed-json' ||
    effect.type === 'truncated-body' ||
    effect.type === 'wrong-total' ||
    effect.type === 'empty-page' ||
    effect.type === 'missing-envelope'
  )
}

/** Applies a delay, token expiry or fleet change, then lets the request go on. */
export async function applyPreFault(
  emulator: Emulator,
  exchange: ApiExchange,
  effect: PreEffect,
  credentials: { kind: string; token?: string },
): Promise<void> {
  if (effect.type === 'delay') {
    await emulator.clock.sleep(effect.ms)
    exchange.now = emulator.clock.now()
    return
  }
  if (effect.type === 'expire-token') {
    if (credentials.kind === 'bearer' && credentials.token !== undefined) {
      emulator.tokens.expire(credentials.token, emulator.clock.now())
    }
    return
  }
  const tenant = exchange.tenant ?? emulator.tenant()
  for (const serial of effect.removeSerials ?? []) {
    for (const device of tenant.findBySerial(serial)) tenant.removeDevice({ id: device.id })
  }
  for (const spec of effect.devices ?? []) tenant.addDevice(spec)
}

/** Sends the response a terminal fault replaces the real one with. */
export function sendTerminalFault(emulator: Emulator, exchange: ApiExchange, effect: FaultEffect): void {
  const terminal = effect as TerminalEffect
  switch (terminal.type) {
    case 'status':
      sendStatusFault(emulator, exchange, terminal)
      return
    case 'rate-limit': {
      const retryAfter = String(terminal.retryAfter ?? DEFAULT_RETRY_AFTER_SECONDS)
      exchange.retryAfter = retryAfter
      const body = ws1ErrorBody(
        429,
        `The API request limit was exceeded. Retry after ${retryAfter}${/^\d+$/.test(retryAfter) ? ' seconds' : ''}.`,
        emulator.activityIds.next(),
      )
      sendRaw(emulator, exchange, 429, body, JSON_CONTENT_TYPE, true, { 'retry-after': retryAfter })
      return
    }
    case 'reset':
      exchange.req.socket.destroy()
      finishExchange(emulator, exchange, 0, 0)
      return
    case 'html-error': {
      const status = terminal.status ?? 500
      sendRaw(emulator, exchange, status, Buffer.from(serverErrorHtml(status)), HTML_CONTENT_TYPE, false)
      return
    }
    case 'premature-204':
      sendNoContent(emulator, exchange)
      return
  }
}

function sendStatusFault(
  emulator: Emulator,
  exchange: ApiExchange,
  effect: Extract<FaultEffect, { type: 'status' }>,
): void {
  const headers = lowercaseKeys(effect.headers ?? {})
  const contentType = headers['content-type']
  delete headers['content-type']
  if (effect.status === 204 || (effect.body === undefined && effect.status < 400)) {
    for (const [name, value] of Object.entries(headers)) exchange.res.setHeader(name, value)
    if (effect.status === 204) {
      sendNoContent(emulator, exchange)
      return
    }
    const type = contentType ?? JSON_CONTENT_TYPE
    sendRaw(emulator, exchange, effect.status, Buffer.alloc(0), type, true, headers)
    return
  }
  let body: Buffer
  if (effect.body === undefined) {
    body = ws1ErrorBody(effect.status, `The server returned HTTP ${effect.status}.`, emulator.activityIds.next())
  } else if (typeof effect.body === 'string') {
    body = Buffer.from(effect.body)
  } else {
    body = Buffer.from(JSON.stringify(effect.body))
  }
  const defaultType = typeof effect.body === 'string' ? 'text/plain; charset=utf-8' : JSON_CONTENT_TYPE
  const type = contentType ?? defaultType
  if (headers['retry-after'] !== undefined) exchange.retryAfter = headers['retry-after']
  sendRaw(emulator, exchange, effect.status, body, type, true, headers)
}

/**
 * Rewrites a rendered result for a body fault. Returns the new result, or
 * undefined when the fault already sent (or broke off) the response.
 */
export function applyBodyFault(
  emulator: Emulator,
  exchange: ApiExchange,
  effect: FaultEffect,
  result: ApiResult,
): ApiResult | undefined {
  const bodyEffect = effect as BodyEffect
  switch (bodyEffect.type) {
    case 'missing-envelope':
      return { status: 200, body: Buffer.from('{"Items":[]}') }
    case 'empty-page':
      return rewriteEnvelope(result, (envelope, page) => {
        envelope[page.listKey] = []
      })
    case 'wrong-total':
      return rewriteEnvelope(result, (envelope, page) => {
        envelope[page.totalKey] = bodyEffect.total
      })
    case 'malformed-json': {
      const full = result.body ?? Buffer.from(PLACEHOLDER_PAGE)
      return { status: 200, body: full.subarray(0, Math.max(1, Math.floor(full.length / 2))) }
    }
    case 'truncated-body':
      sendTruncated(emulator, exchange, result, bodyEffect.bytes)
      return undefined
  }
}

/** Parses the rendered envelope (or builds one for a 204), edits it and serializes it again. */
function rewriteEnvelope(
  result: ApiResult,
  edit: (envelope: Record<string, unknown>, page: PageInfo) => void,
): ApiResult {
  const page = result.page ?? {
    listKey: 'Devices',
    totalKey: 'Total',
    pageKey: 'Page',
    pageSizeKey: 'PageSize',
    page: 0,
    pageSize: 500,
  }
  let envelope: Record<string, unknown>
  if (result.body === undefined) {
    envelope = {
      [page.listKey]: [],
      [page.pageKey]: page.page,
      [page.pageSizeKey]: page.pageSize,
      [page.totalKey]: 0,
    }
  } else {
    const parsed: unknown = JSON.parse(result.body.toString('utf8'))
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return result
    envelope = parsed as Record<string, unknown>
  }
  edit(envelope, page)
  return { status: 200, body: Buffer.from(JSON.stringify(envelope)), page }
}

/** Announces the full length, sends only part of the body, then destroys the socket. */
function sendTruncated(
  emulator: Emulator,
  exchange: ApiExchange,
  result: ApiResult,
  bytes: number | undefined,
): void {
  const full = result.body ?? Buffer.from(PLACEHOLDER_PAGE)
  const sent = Math.min(bytes ?? Math.floor(full.length / 2), full.length - 1)
  const { res, req } = exchange
  res.statusCode = result.status === 204 ? 200 : result.status
  writeApiHeaders(res, exchange.correlationId, exchange.rateLimit, exchange.version)
  res.setHeader('content-type', JSON_CONTENT_TYPE)
  res.setHeader('content-length', full.length)
  res.write(full.subarray(0, sent), () => req.socket.destroy())
  finishExchange(emulator, exchange, res.statusCode, sent)
}

function lowercaseKeys(headers: Record<string, string>): Record<string, string> {
  const result: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) result[name.toLowerCase()] = value
  return result
}
