/**
 * The ceiling: an Express app (the project's own express version) that
 * responds with the bytes captured from the emulator, headers included,
 * ETag off. Nothing is computed per request beyond Express routing and a
 * map look-up, so no emulator can be faster on the same stack.
 *
 * Usage: node ceiling-server.js CAPTURES_JSON_FILE
 * Prints one JSON line `{ "url": ... }` once it listens on 127.0.0.1.
 */
import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { routeKey, type CapturedResponse } from './capture'

interface PreparedResponse {
  status: number
  headers: string[]
  body: Buffer
}

function prepare(captures: CapturedResponse[]): Map<string, PreparedResponse> {
  const routes = new Map<string, PreparedResponse>()
  for (const capture of captures) {
    const body = Buffer.from(capture.bodyBase64, 'base64')
    const headers: string[] = []
    for (const [name, value] of capture.headers) {
      headers.push(name, value)
    }
    if (capture.status !== 204) {
      headers.push('content-length', String(body.length))
    }
    routes.set(routeKey(capture.method, capture.path, capture.routeHeader), {
      status: capture.status,
      headers,
      body,
    })
  }
  return routes
}

function main(): void {
  const file = process.argv[2]
  if (file === undefined) {
    throw new Error('Missing argument: pass the captures JSON file written by the bench.')
  }
  const captures = JSON.parse(readFileSync(file, 'utf8')) as CapturedResponse[]
  const routes = prepare(captures)

  const app = express()
  app.disable('x-powered-by')
  app.set('etag', false)
  app.use((req, res) => {
    const authorization = req.headers.authorization
    const prepared =
      routes.get(routeKey(req.method, req.originalUrl, authorization)) ?? routes.get(routeKey(req.method, req.originalUrl, undefined))
    if (prepared === undefined) {
      res.status(404).json({ message: `No captured response for ${req.method} ${req.originalUrl}` })
      return
    }
    res.writeHead(prepared.status, prepared.headers)
    res.end(prepared.body)
  })

  const server = app.listen(0, '127.0.0.1', () => {
    const address = server.address() as AddressInfo
    process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${address.port}` })}\n`)
  })
  process.on('SIGTERM', () => {
    server.close(() => process.exit(0))
    server.closeAllConnections()
  })
}

main()
