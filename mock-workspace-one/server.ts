import http from 'node:http'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { createMockServer, type CreateMockServerOptions } from './app'
import type { RunningMockServer } from './types'

/**
 * Starts the emulator on `options.host` (default 127.0.0.1) and
 * `options.port` (default 0, a free port), over HTTPS when `options.tls` is
 * given. `close()` drops open keep-alive connections, so an idle client cannot hold
 * it open.
 */
export async function startMockServer(options: CreateMockServerOptions = {}): Promise<RunningMockServer> {
  const { emulator, handleRequest } = createMockServer(options)
  const server =
    options.tls === undefined
      ? http.createServer(handleRequest)
      : https.createServer({ cert: options.tls.cert, key: options.tls.key }, handleRequest)
  const host = options.host ?? '127.0.0.1'

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => reject(error)
    server.once('error', onError)
    server.listen(options.port ?? 0, host, () => {
      server.off('error', onError)
      resolve()
    })
  })

  const address = server.address() as AddressInfo
  const scheme = options.tls === undefined ? 'http' : 'https'
  const url = `${scheme}://${urlHost(host)}:${address.port}`
  emulator.logger.info({ url }, 'emulator listening')

  let closing: Promise<void> | undefined
  return {
    emulator,
    // A getter, because reset() and restore() replace the tenant objects.
    get tenant() {
      return emulator.tenant()
    },
    clock: emulator.clock,
    url,
    apiUrl: `${url}/API`,
    tokenUrl: `${url}/connect/token`,
    adminUrl: `${url}/__admin`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      return closing
    },
  }
}

/** Host part of a URL: wildcard addresses become loopback, IPv6 gets brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1'
  if (host === '::') return '[::1]'
  return host.includes(':') ? `[${host}]` : host
}
