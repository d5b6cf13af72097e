import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto'
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import pino, { type Logger } from 'pino'
import { startScenarioEmulator } from '../harness'
import {
  createMockServer,
  createSelfSignedCertificate,
  createSystemClock,
  loadState,
  saveState,
  startMockServer,
} from '../mock-workspace-one'
import type { RunningMockServer } from '../mock-workspace-one/types'
import { credentialsFromSnapshot, credentialsOf, defaultTenantSpec, type Credentials } from './credentials'
import { ExitCode, UsageError, errorMessage } from './errors'
import { readInputFile } from './files'
import { createPalette } from './format'
import { colorEnabled, waitForShutdown, type CliIo } from './io'
import { loadOneScenario } from './scenario'

/** Flags of `ws1sim serve`. */
export interface ServeOptions {
  host: string
  port: number
  scenario?: string
  seed: number
  devices: number
  state?: string
  tls?: boolean
  cert?: string
  key?: string
  adminToken?: string
  json?: boolean
  logLevel: string
}

/** The start-up line of `serve --json`. Scripts parse it, so the keys never change. */
export interface ServeStartupLine extends Credentials {
  url: string
  apiUrl: string
  tokenUrl: string
  adminUrl: string
  caFile?: string
}

interface TlsMaterial {
  cert: string
  key: string
  /** Temporary folder holding the generated certificate, removed on shutdown. */
  tempDir?: string
  caFile?: string
}

/**
 * Checks that `cert` is a PEM certificate, `key` a PEM private key, and that
 * they belong together, so a bad file is a usage error instead of an
 * OpenSSL error when the server starts.
 */
function checkCertificatePair(cert: string, certFile: string, key: string, keyFile: string): void {
  let certificate: X509Certificate
  try {
    certificate = new X509Certificate(cert)
  } catch {
    throw new UsageError(`--cert: ${certFile} is not a PEM certificate. Give a file that starts with -----BEGIN CERTIFICATE-----.`)
  }
  let privateKey: KeyObject
  try {
    privateKey = createPrivateKey(key)
  } catch {
    throw new UsageError(`--key: ${keyFile} is not an unencrypted PEM private key. Give a file that starts with -----BEGIN PRIVATE KEY----- or similar.`)
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new UsageError(`--key: ${keyFile} is not the private key of the certificate in ${certFile}. Give the key that belongs to it.`)
  }
}

async function prepareTls(options: ServeOptions, io: CliIo): Promise<TlsMaterial | undefined> {
  if (options.cert !== undefined || options.key !== undefined) {
    if (options.cert === undefined || options.key === undefined) {
      throw new UsageError('--cert and --key must be given together. Pass both PEM files, or use --tls.')
    }
    const cert = await readInputFile(options.cert, io.cwd, 'certificate file')
    const key = await readInputFile(options.key, io.cwd, 'key file')
    checkCertificatePair(cert, options.cert, key, options.key)
    return { cert, key, caFile: path.resolve(io.cwd, options.cert) }
  }
  if (!options.tls) return undefined
  const generated = await createSelfSignedCertificate()
  const tempDir = await mkdtemp(path.join(os.tmpdir(), 'ws1sim-tls-'))
  const caFile = path.join(tempDir, 'ws1sim-ca.pem')
  await writeFile(caFile, generated.cert, { encoding: 'utf8', mode: 0o644 })
  return { cert: generated.cert, key: generated.key, tempDir, caFile }
}

async function fileExists(file: string): Promise<boolean> {
  try {
    await stat(file)
    return true
  } catch {
    return false
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)
}

function listenError(error: unknown, options: ServeOptions): Error {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'EADDRINUSE') {
    return new UsageError(`port ${options.port} on ${options.host} is in use. Pick another --port, or 0 for a free one.`)
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EACCES') {
    return new UsageError(`cannot listen on ${options.host}:${options.port} (${code}). Use --host 127.0.0.1.`)
  }
  return error instanceof Error ? error : new Error(String(error))
}

async function startServer(
  options: ServeOptions,
  tls: TlsMaterial | undefined,
  logger: Logger,
  io: CliIo,
): Promise<{ server: RunningMockServer; credentials: Credentials | undefined }> {
  const clock = createSystemClock()
  const common = {
    host: options.host,
    port: options.port,
    clock,
    logger,
    seed: options.seed,
    ...(options.adminToken === undefined ? {} : { adminToken: options.adminToken }),
    ...(tls === undefined ? {} : { tls: { cert: tls.cert, key: tls.key } }),
  }
  try {
    if (options.scenario !== undefined) {
      const scenario = await loadOneScenario(options.scenario, io)
      const server = await startScenarioEmulator(scenario, common)
      return { server, credentials: credentialsFromSnapshot(server.emulator.snapshot()) }
    }
    const tenant = defaultTenantSpec(options.seed, options.devices)
    const server = await startMockServer({ ...common, tenants: [tenant] })
    return { server, credentials: credentialsOf(tenant) }
  } catch (error) {
    throw listenError(error, options)
  }
}

function formatBanner(line: ServeStartupLine, io: CliIo): string {
  const palette = createPalette(colorEnabled(io, io.stdout))
  const lines = [
    palette.bold('Workspace ONE UEM emulator is running'),
    `  REST API URL     ${line.apiUrl}`,
    `  token URL        ${line.tokenUrl}`,
    `  control API      ${line.adminUrl}`,
    `  client id        ${line.clientId}`,
    `  client secret    ${line.clientSecret}`,
    `  tenant code      ${line.tenantCode}  (aw-tenant-code header, optional with OAuth)`,
    '',
    'Get a token and the first page of devices:',
    `  curl -s ${caFlag(line)}-d grant_type=client_credentials -d client_id=${line.clientId} \\`,
    `    -d client_secret=${line.clientSecret} ${line.tokenUrl}`,
    `  curl -s ${caFlag(line)}-H "Authorization: Bearer $TOKEN" \\`,
    `    -H "Accept: application/json;version=2" "${line.apiUrl}/mdm/devices/search?page=0&pagesize=500"`,
    '',
    'Press Ctrl-C to stop.',
  ]
  return lines.join('\n') + '\n'
}

function caFlag(line: ServeStartupLine): string {
  return line.caFile === undefined ? '' : `--cacert ${line.caFile} `
}

function trustHelp(caFile: string): string {
  return [
    `The emulator serves HTTPS with a self-signed certificate, written to ${caFile}.`,
    'Trust it in the client:',
    `  Node.js:          NODE_EXTRA_CA_CERTS=${caFile}`,
    `  Python requests:  REQUESTS_CA_BUNDLE=${caFile}`,
    `  curl:             curl --cacert ${caFile} ...`,
    '',
  ].join('\n')
}

/** Runs `ws1sim serve` until the shutdown signal and returns the exit status. */
export async function runServe(options: ServeOptions, io: CliIo): Promise<number> {
  const logger = io.createLogger(options.logLevel)
  const tls = await prepareTls(options, io)
  const statePath = options.state === undefined ? undefined : path.resolve(io.cwd, options.state)
  try {
    // The state file is checked before the server listens, so a bad file is
    // rejected without an "emulator listening" log line first.
    const snapshot = statePath !== undefined && (await fileExists(statePath)) ? await readState(statePath, options.seed) : undefined
    const { server, credentials: initial } = await startServer(options, tls, logger, io)
    let credentials = initial
    try {
      if (statePath !== undefined && snapshot !== undefined) {
        server.emulator.restore(snapshot)
        credentials = credentialsFromSnapshot(snapshot) ?? credentials
        logger.info({ file: statePath }, 'state loaded')
      }
      if (credentials === undefined) {
        throw new UsageError('the tenant has no OAuth client. Add one to the scenario tenant (clients).')
      }
      const line: ServeStartupLine = {
        url: server.url,
        apiUrl: server.apiUrl,
        tokenUrl: server.tokenUrl,
        adminUrl: server.adminUrl,
        ...credentials,
        ...(tls?.caFile === undefined ? {} : { caFile: tls.caFile }),
      }
      if (options.json) io.stdout.write(`${JSON.stringify(line)}\n`)
      else io.stdout.write(formatBanner(line, io))
      if (tls?.tempDir !== undefined && tls.caFile !== undefined) io.stderr.write(trustHelp(tls.caFile))
      if (!isLoopback(options.host)) {
        io.stderr.write(
          `warning: listening on ${options.host}, so other machines can reach this emulator and its test credentials.\n`,
        )
      }
      logger.info({ url: server.url, devices: server.tenant.deviceCount() }, 'emulator started')

      await waitForShutdown(io.shutdown)
      logger.info('emulator stopping')
      if (statePath !== undefined) {
        await saveState(server.emulator, statePath)
        logger.info({ file: statePath }, 'state saved')
      }
    } finally {
      await server.close()
    }
    logger.info('emulator stopped')
    return ExitCode.ok
  } finally {
    if (tls?.tempDir !== undefined) await rm(tls.tempDir, { recursive: true, force: true })
  }
}

/**
 * Reads a state file and checks that an emulator with `seed` can restore it.
 * Returns the snapshot, or throws a UsageError naming the file.
 */
async function readState(file: string, seed: number): Promise<unknown> {
  try {
    const snapshot = await loadState(file)
    const probe = createMockServer({ seed, logger: pino({ level: 'silent' }), tenants: [{ name: 'probe', tenantCode: 'PROBE' }] })
    probe.emulator.restore(snapshot)
    return snapshot
  } catch (error) {
    const reason = errorMessage(error).replace(/\.+$/, '')
    throw new UsageError(`cannot load state file ${file}: ${reason}. Fix or delete the file.`)
  }
}
