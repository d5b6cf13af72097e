/**
 * WireMock 3 as a comparison server: the `wiremock` npm package (which ships
 * the standalone jar) is installed on demand into .bench-cache/, never as a
 * project dependency, and serves the captured bytes from stub files.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import type { Logger } from 'pino'
import type { CapturedResponse } from './capture'
import { delay, ManagedProcess, SERVER_CORE } from '../lib/proc'

const WIREMOCK_PACKAGE = 'wiremock@3'

function findJar(cacheDir: string): string | null {
  const buildDir = path.join(cacheDir, 'node_modules', 'wiremock', 'build')
  if (!existsSync(buildDir)) {
    return null
  }
  const jar = readdirSync(buildDir).find((name) => /^wiremock-standalone-.*\.jar$/.test(name))
  return jar === undefined ? null : path.join(buildDir, jar)
}

/**
 * Returns the path of the WireMock standalone jar, installing the npm
 * package into `cacheDir` first when it is missing.
 */
export function ensureWiremockJar(cacheDir: string, logger: Logger): string {
  const cached = findJar(cacheDir)
  if (cached !== null) {
    return cached
  }

  mkdirSync(cacheDir, { recursive: true })
  logger.info({ cacheDir, package: WIREMOCK_PACKAGE }, 'installing WireMock into the bench cache')
  const install = spawnSync('npm', ['install', '--prefix', cacheDir, '--no-audit', '--no-fund', WIREMOCK_PACKAGE], {
    encoding: 'utf8',
    timeout: 300_000,
  })
  if (install.status !== 0) {
    const reason = install.error?.message ?? install.stderr.trim().split('\n').slice(-3).join(' ')
    throw new Error(`npm install ${WIREMOCK_PACKAGE} into ${cacheDir} failed: ${reason}`)
  }

  const installed = findJar(cacheDir)
  if (installed === null) {
    throw new Error(`npm installed ${WIREMOCK_PACKAGE} into ${cacheDir} but no wiremock-standalone jar was found in it.`)
  }
  return installed
}

/** Writes one mapping and one body file per captured response under `rootDir`. */
export function writeStubs(rootDir: string, captures: CapturedResponse[]): void {
  const mappingsDir = path.join(rootDir, 'mappings')
  const filesDir = path.join(rootDir, '__files')
  mkdirSync(mappingsDir, { recursive: true })
  mkdirSync(filesDir, { recursive: true })

  captures.forEach((capture, index) => {
    const bodyFileName = `response-${index}.body`
    writeFileSync(path.join(filesDir, bodyFileName), Buffer.from(capture.bodyBase64, 'base64'))

    const request: Record<string, unknown> = { method: capture.method, url: capture.path }
    if (capture.routeHeader !== undefined) {
      request['headers'] = { Authorization: { equalTo: capture.routeHeader } }
    }
    const mapping = {
      request,
      response: {
        status: capture.status,
        headers: Object.fromEntries(capture.headers),
        bodyFileName,
      },
    }
    writeFileSync(path.join(mappingsDir, `mapping-${index}.json`), JSON.stringify(mapping, null, 2))
  })
}

/** Finds a free TCP port on 127.0.0.1 by binding port 0 and releasing it. */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      probe.close(() => resolve(port))
    })
  })
}

export interface RunningWiremock {
  process: ManagedProcess
  url: string
}

/** Starts WireMock standalone on 127.0.0.1, pinned to the server core, and waits for its health endpoint. */
export async function startWiremock(jar: string, rootDir: string, readyTimeoutMs = 90_000): Promise<RunningWiremock> {
  const port = await findFreePort()
  const wiremock = new ManagedProcess({
    name: 'WireMock',
    core: SERVER_CORE,
    command: 'java',
    args: [
      '-jar',
      jar,
      '--port',
      String(port),
      '--bind-address',
      '127.0.0.1',
      '--root-dir',
      rootDir,
      '--disable-banner',
      '--no-request-journal',
      '--disable-request-logging',
      '--disable-gzip',
    ],
  })
  const url = `http://127.0.0.1:${port}`

  const deadline = Date.now() + readyTimeoutMs
  while (Date.now() < deadline) {
    if (wiremock.child.exitCode !== null) {
      throw new Error(`WireMock exited with code ${wiremock.child.exitCode} before it was ready. stderr: ${wiremock.stderr.slice(-2000)}`)
    }
    try {
      const response = await fetch(`${url}/__admin/health`, { signal: AbortSignal.timeout(2000) })
      if (response.ok) {
        return { process: wiremock, url }
      }
    } catch {
      // Not listening yet.
    }
    await delay(250)
  }
  await wiremock.stop()
  throw new Error(`WireMock timed out after ${readyTimeoutMs} ms before its health endpoint answered. stderr: ${wiremock.stderr.slice(-2000)}`)
}
