/**
 * Captures the emulator's real responses (status, raw headers in their
 * order, body bytes) so the ceiling and WireMock can replay the same bytes.
 */
import http from 'node:http'

/** One request the HTTP benchmark sends. */
export interface BenchRequest {
  /** Stable identifier, used by `--only` and in tables. */
  id: string
  label: string
  method: 'GET' | 'POST'
  /** Path and query string. */
  path: string
  headers: Record<string, string>
  body?: string
  /**
   * Authorization value that distinguishes requests to the same URL for
   * different tenants. Replay servers key their routes on it when set.
   */
  routeHeader?: string
}

export interface CapturedResponse {
  method: string
  path: string
  routeHeader?: string
  status: number
  /** Raw response headers in the order the emulator sent them, minus per-connection ones. */
  headers: Array<[string, string]>
  bodyBase64: string
}

export interface HttpReply {
  status: number
  rawHeaders: string[]
  body: Buffer
}

/** Headers that belong to one connection or one moment, so replay servers set their own. */
const PER_CONNECTION_HEADERS = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding', 'content-length'])

/** Key of a replayed route: method, path with query, and the optional tenant-telling header. */
export function routeKey(method: string, path: string, routeHeader: string | undefined): string {
  return `${method.toUpperCase()} ${path} ${routeHeader ?? ''}`
}

/** Sends one request to a server on 127.0.0.1 and reads the whole reply. */
export function sendRequest(origin: string, request: BenchRequest, timeoutMs = 30_000): Promise<HttpReply> {
  const target = new URL(request.path, origin)
  if (target.hostname !== '127.0.0.1') {
    return Promise.reject(new Error(`Invalid target ${target.href}: the bench only talks to 127.0.0.1.`))
  }

  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      target,
      { method: request.method, headers: request.headers, timeout: timeoutMs, agent: false },
      (incoming) => {
        const chunks: Buffer[] = []
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk))
        incoming.on('end', () =>
          resolve({ status: incoming.statusCode ?? 0, rawHeaders: incoming.rawHeaders, body: Buffer.concat(chunks) }),
        )
        incoming.on('error', reject)
      },
    )
    outgoing.on('timeout', () => outgoing.destroy(new Error(`${request.method} ${target.href} timed out after ${timeoutMs} ms`)))
    outgoing.on('error', reject)
    outgoing.end(request.body)
  })
}

/** Sends `request` once and returns the reply for replay. Rejects unless the status is 2xx. */
export async function captureResponse(origin: string, request: BenchRequest): Promise<CapturedResponse> {
  const reply = await sendRequest(origin, request)
  if (reply.status < 200 || reply.status > 299) {
    throw new Error(
      `Capture of "${request.label}" failed: ${request.method} ${request.path} returned ${reply.status}: ${reply.body.toString('utf8').slice(0, 300)}`,
    )
  }

  const headers: Array<[string, string]> = []
  for (let index = 0; index + 1 < reply.rawHeaders.length; index += 2) {
    const name = reply.rawHeaders[index] as string
    const value = reply.rawHeaders[index + 1] as string
    if (!PER_CONNECTION_HEADERS.has(name.toLowerCase())) {
      headers.push([name, value])
    }
  }

  const captured: CapturedResponse = {
    method: request.method,
    path: request.path,
    status: reply.status,
    headers,
    bodyBase64: reply.body.toString('base64'),
  }
  if (request.routeHeader !== undefined) {
    captured.routeHeader = request.routeHeader
  }
  return captured
}
