/**
 * End-to-end checks of the built `ws1sim` executable: exit statuses and the
 * `serve --json` start-up line. Needs `npm run build` first (npm test runs it).
 * Most command behaviour is tested in-process in cli/*.test.ts; these few
 * spawn Node because they are about the real process.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {
  INVALID_SCENARIO,
  PASSING_SCENARIO,
  WRONG_EXPECTATION_SCENARIO,
} from '../cli/scenario-fixtures'

const ROOT = path.resolve(__dirname, '..')
const BIN = path.join(ROOT, 'bin', 'ws1sim.js')

interface Finished {
  code: number | null
  stdout: string
  stderr: string
}

function collectOutput(child: ChildProcess): { stdout: () => string; stderr: () => string } {
  let stdout = ''
  let stderr = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  return { stdout: () => stdout, stderr: () => stderr }
}

function runBin(args: string[], cwd = ROOT): Promise<Finished> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } })
  const output = collectOutput(child)
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout: output.stdout(), stderr: output.stderr() }))
  })
}

let tmp: string

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'ws1sim-cli-test-'))
  await writeFile(path.join(tmp, 'passing.yaml'), PASSING_SCENARIO)
  await writeFile(path.join(tmp, 'wrong-expectation.yaml'), WRONG_EXPECTATION_SCENARIO)
  await writeFile(path.join(tmp, 'invalid.yaml'), INVALID_SCENARIO)
})

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true })
})

describe('ws1sim exit status', () => {
  it('is 2 on an unknown flag', async () => {
    const result = await runBin(['run', '--no-such-flag'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("unknown option '--no-such-flag'")
  })

  it('is 2 for validate on a bad file', async () => {
    const result = await runBin(['validate', path.join(tmp, 'invalid.yaml')])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('invalid.yaml:2:')
    expect(result.stderr).not.toMatch(/^\s+at /m)
  })

  it('is 0 for run on a passing scenario', async () => {
    const result = await runBin(['run', path.join(tmp, 'passing.yaml')])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
  })

  it('is 1 for run on a wrong expectation', async () => {
    const result = await runBin(['run', path.join(tmp, 'wrong-expectation.yaml')])
    expect(result.code).toBe(1)
    expect(result.stdout).toContain('cli wrong expectation')
  })
})

describe('ws1sim serve --json', () => {
  it('prints the start-up line and issues tokens', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--json', '--log-level', 'silent'], {
      cwd: ROOT,
    })
    const output = collectOutput(child)
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
    try {
      const firstLine = await new Promise<string>((resolve, reject) => {
        const onData = (): void => {
          const newline = output.stdout().indexOf('\n')
          if (newline >= 0) resolve(output.stdout().slice(0, newline))
        }
        child.stdout?.on('data', onData)
        child.on('close', () => reject(new Error(`serve exited early: ${output.stderr()}`)))
      })
      const line = JSON.parse(firstLine) as Record<string, string>
      expect(Object.keys(line).sort()).toEqual(
        ['adminUrl', 'apiUrl', 'clientId', 'clientSecret', 'tenantCode', 'tokenUrl', 'url'].sort(),
      )
      expect(line['url']).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)

      const response = await fetch(line['tokenUrl'] ?? '', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: line['clientId'] ?? '',
          client_secret: line['clientSecret'] ?? '',
        }),
      })
      expect(response.status).toBe(200)
      const token = (await response.json()) as Record<string, unknown>
      expect(token['token_type']).toBe('Bearer')
      expect(typeof token['access_token']).toBe('string')
    } finally {
      child.kill('SIGTERM')
    }
    expect(await exited).toBe(0)
  })
})
