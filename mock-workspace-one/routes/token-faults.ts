import type { ParsedUrlQuery } from 'node:querystring'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Emulator } from '../emulator'
import { serverErrorHtml } from '../errors'
import { normalizeFaultPath } from '../faults'
import { HTML_CONTENT_TYPE, JSON_CONTENT_TYPE } from '../headers'
import { parseBasicAuth } from '../oauth'
import type { FaultRule } from '../types'
import { requestPath } from './target'
import type { TokenOutcome } from './token'

/** Parsed form fields; a repeated field has several values. */
export type FormFields = ParsedUrlQuery

/** Returns the first value of a form field, or undefined when it is absent. */
export function formField(form: FormFields, name: string): string | undefined {
  const value = form[name]
  if (typeof value === 'string') return value
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0]
  return undefined
}

export type TokenTerminalEffect = Extract<
  FaultRule['effect'],
  { type: 'status' | 'rate-limit' | 'reset' | 'html-error' | 'premature-204' }
>

/** Returns whether a fault effect replaces the token response, unlike delay and body faults. */
export function isTerminalTokenFault(effect: FaultRule['effect']): effect is TokenTerminalEffect {
  return ['status', 'rate-limit', 'reset', 'html-error', 'premature-204'].includes(effect.type)
}

/**
 * Sends part of a token response: half of it for `malformed-json`, or the
 * full content-length then some bytes and a closed socket for
 * `truncated-body`. Returns the bytes sent.
 */
export function sendBrokenBody(
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
  effect: FaultRule['effect'],
): Buffer {
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

export function evaluateTokenFaults(
  emulator: Emulator,
  req: IncomingMessage,
  form: FormFields,
): Array<FaultRule & { id: string }> {
  const basic = parseBasicAuth(req.headers.authorization)
  const clientId = basic?.username ?? formField(form, 'client_id') ?? null
  return emulator.faults.evaluate({
    endpoint: 'token',
    path: normalizeFaultPath(requestPath(req)),
    method: req.method ?? 'POST',
    query: {},
    clientId,
    now: emulator.clock.now(),
  })
}

/**
 * Sends the response a fault puts in place of a token response. A status
 * without a body gets the OAuth error `temporarily_unavailable`.
 */
export function sendTokenFault(req: IncomingMessage, res: ServerResponse, effect: TokenTerminalEffect): TokenOutcome {
  const base = { clientId: null, tenant: null, tokenId: null, reason: `fault ${effect.type}` }
  switch (effect.type) {
    case 'reset':
      req.socket.destroy()
      return { ...base, status: 0, body: Buffer.alloc(0) }

    case 'premature-204':
      res.statusCode = 204
      res.end()
      return { ...base, status: 204, body: Buffer.alloc(0) }

    case 'html-error': {
      const status = effect.status ?? 500
      const body = Buffer.from(serverErrorHtml(status))
      res.statusCode = status
      res.setHeader('content-type', HTML_CONTENT_TYPE)
      res.end(body)
      return { ...base, status, body }
    }

    case 'rate-limit': {
      const retryAfter = String(effect.retryAfter ?? 60)
      const body = Buffer.from(JSON.stringify({ error: 'temporarily_unavailable' }))
      res.statusCode = 429
      res.setHeader('retry-after', retryAfter)
      res.setHeader('content-type', JSON_CONTENT_TYPE)
      res.end(body)
      return { ...base, status: 429, body, retryAfter }
    }

    case 'status': {
      let body = Buffer.from(JSON.stringify({ error: 'temporarily_unavailable' }))
      if (typeof effect.body === 'string') body = Buffer.from(effect.body)
      else if (effect.body !== undefined) body = Buffer.from(JSON.stringify(effect.body))
      res.statusCode = effect.status
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
