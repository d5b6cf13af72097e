import { existsSync } from 'node:fs'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import https from 'node:https'
import os from 'node:os'
import pino from 'pino'
import path from 'node:path'
import { createSelfSignedCertificate } from '../mock-workspace-one/tls'
import { runCli } from './program'
import type { ServeStartupLine } from './serve'
import { createTestIo, type TestIo } from './test-io'

let tmp: string

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'ws1sim-serve-'))
})

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true })
})

/** Starts `serve` in-process and resolves with its start-up line once it is printed. */
async function startServe(
  args: string[],
  io: TestIo,
): Promise<{ line: ServeStartupLine; done: Promise<number> }> {
  const done = runCli(['serve', '--port', '0', '--json', ...args], io)
  let finished = false
  void done.then(() => (finished = true))
  for (;;) {
    const text = io.stdoutText()
    const newline = text.indexOf('\n')
    if (newline >= 0) return { line: JSON.parse(text.slice(0, newline)) as ServeStartupLine, done }
    if (finished) throw new Error(`serve exited before printing: ${io.stderrText()}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

async function fetchToken(line: ServeStartupLine, init: RequestInit = {}): Promise<Response> {
  return fetch(line.tokenUrl, {
    ...init,
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: line.clientId,
      client_secret: line.clientSecret,
    }),
  })
}

describe('serve --json', () => {
  it('prints the start-up line and serves tokens and devices', async () => {
    const io = createTestIo()
    const { line, done } = await startServe(['--devices', '7', '--seed', '3'], io)
    try {
      expect(line.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      expect(line.apiUrl).toBe(`${line.url}/API`)
      expect(line.caFile).toBeUndefined()

      const tokenResponse = await fetchToken(line)
      expect(tokenResponse.status).toBe(200)
      const token = (await tokenResponse.json()) as { access_token: string }
      const search = await fetch(`${line.apiUrl}/mdm/devices/search?page=0`, {
        headers: { authorization: `Bearer ${token.access_token}`, accept: 'application/json;version=2' },
      })
      expect(search.status).toBe(200)
      expect(((await search.json()) as { Total: number }).Total).toBe(7)
    } finally {
      io.stop()
    }
    expect(await done).toBe(0)
  })

  it('derives the same credentials from the same seed', async () => {
    const first = createTestIo()
    const a = await startServe(['--seed', '9'], first)
    first.stop()
    await a.done
    const second = createTestIo()
    const b = await startServe(['--seed', '9'], second)
    second.stop()
    await b.done
    expect(b.line.clientSecret).toBe(a.line.clientSecret)
    expect(b.line.tenantCode).toBe(a.line.tenantCode)
  })

  it('prints a readable banner without --json', async () => {
    const io = createTestIo()
    const done = runCli(['serve', '--port', '0'], io)
    while (!io.stdoutText().includes('Press Ctrl-C')) await new Promise((resolve) => setTimeout(resolve, 5))
    io.stop()
    expect(await done).toBe(0)
    expect(io.stdoutText()).toContain('REST API URL     http://127.0.0.1:')
    expect(io.stdoutText()).toContain('client id        ws1sim-client')
  })
})

describe('serve --state', () => {
  it('saves on shutdown and restores at start', async () => {
    const stateFile = path.join(tmp, 'state.json')
    const first = createTestIo({ cwd: tmp })
    const a = await startServe(['--state', 'state.json', '--devices', '4'], first)
    first.stop()
    expect(await a.done).toBe(0)
    expect(existsSync(stateFile)).toBe(true)
    expect(await readFile(stateFile, 'utf8')).toContain(a.line.clientSecret)

    // The saved state wins over --devices and --seed on the next start.
    const second = createTestIo({ cwd: tmp })
    const b = await startServe(['--state', 'state.json', '--devices', '50', '--seed', '2'], second)
    try {
      expect(b.line.clientSecret).toBe(a.line.clientSecret)
      const token = (await (await fetchToken(b.line)).json()) as { access_token: string }
      const search = await fetch(`${b.line.apiUrl}/mdm/devices/search`, {
        headers: { authorization: `Bearer ${token.access_token}` },
      })
      expect(((await search.json()) as { Total: number }).Total).toBe(4)
    } finally {
      second.stop()
    }
    expect(await b.done).toBe(0)
  })

  it('exits 2 on a corrupt state file', async () => {
    const io = createTestIo({ cwd: tmp })
    await import('node:fs/promises').then((fs) => fs.writeFile(path.join(tmp, 'bad.json'), '{"format":"other"}'))
    expect(await runCli(['serve', '--port', '0', '--state', 'bad.json'], io)).toBe(2)
    expect(io.stderrText()).toContain('cannot load state file')
  })

  it('rejects a bad state file before listening', async () => {
    const io = createTestIo({ cwd: tmp })
    const logLines: string[] = []
    io.createLogger = (level) => pino({ level }, { write: (line: string) => void logLines.push(line) })
    await writeFile(path.join(tmp, 'other-format.json'), '{"format":"other"}')
    expect(await runCli(['serve', '--port', '0', '--state', 'other-format.json'], io)).toBe(2)
    expect(io.stderrText()).toContain('Fix or delete the file.')
    expect(io.stderrText()).not.toContain('..')
    expect(logLines.join('')).not.toContain('emulator listening')
    expect(io.stdoutText()).toBe('')
  })
})

describe('serve --tls', () => {
  it('writes a CA file that clients can trust, and removes it on stop', async () => {
    const io = createTestIo()
    const { line, done } = await startServe(['--tls'], io)
    try {
      expect(line.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
      expect(line.caFile).toBeDefined()
      const ca = await readFile(line.caFile ?? '', 'utf8')
      expect(io.stderrText()).toContain(`NODE_EXTRA_CA_CERTS=${line.caFile ?? ''}`)

      const status = await new Promise<number>((resolve, reject) => {
        const request = https.request(line.tokenUrl, { method: 'POST', ca }, (response) => {
          response.resume()
          resolve(response.statusCode ?? 0)
        })
        request.on('error', reject)
        request.setHeader('content-type', 'application/x-www-form-urlencoded')
        request.end(`grant_type=client_credentials&client_id=${line.clientId}&client_secret=${line.clientSecret}`)
      })
      expect(status).toBe(200)
    } finally {
      io.stop()
    }
    expect(await done).toBe(0)
    expect(existsSync(line.caFile ?? '')).toBe(false)
  })

  it('exits 2 naming a non-PEM certificate', async () => {
    await writeFile(path.join(tmp, 'garbage.pem'), 'garbage\n')
    const io = createTestIo({ cwd: tmp })
    expect(await runCli(['serve', '--cert', 'garbage.pem', '--key', 'garbage.pem'], io)).toBe(2)
    expect(io.stderrText()).toContain('garbage.pem is not a PEM certificate')
  })

  it('exits 2 naming a non-PEM key', async () => {
    const { cert } = await createSelfSignedCertificate()
    await writeFile(path.join(tmp, 'cert.pem'), cert)
    await writeFile(path.join(tmp, 'garbage-key.pem'), 'garbage\n')
    const io = createTestIo({ cwd: tmp })
    expect(await runCli(['serve', '--cert', 'cert.pem', '--key', 'garbage-key.pem'], io)).toBe(2)
    expect(io.stderrText()).toContain('garbage-key.pem is not an unencrypted PEM private key')
  })

  it('exits 2 on a key of another certificate', async () => {
    const { cert } = await createSelfSignedCertificate()
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    await writeFile(path.join(tmp, 'own-cert.pem'), cert)
    await writeFile(path.join(tmp, 'other-key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }))
    const io = createTestIo({ cwd: tmp })
    expect(await runCli(['serve', '--cert', 'own-cert.pem', '--key', 'other-key.pem'], io)).toBe(2)
    expect(io.stderrText()).toContain('other-key.pem is not the private key of the certificate in own-cert.pem')
  })

  it('exits 2 with --cert but no --key', async () => {
    const io = createTestIo()
    expect(await runCli(['serve', '--cert', 'cert.pem'], io)).toBe(2)
    expect(io.stderrText()).toContain('--cert and --key must be given together')
  })
})

describe('serve listen errors', () => {
  it('exits 2 when the port is in use', async () => {
    const io = createTestIo()
    const { line, done } = await startServe([], io)
    const port = new URL(line.url).port
    const second = createTestIo()
    try {
      expect(await runCli(['serve', '--port', port], second)).toBe(2)
      expect(second.stderrText()).toContain(`port ${port} on 127.0.0.1 is in use`)
    } finally {
      io.stop()
    }
    await done
  })
})
