import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { startMockServer } from '../mock-workspace-one'
import type { RunningMockServer } from '../mock-workspace-one/types'
import { runCli } from './program'
import { createTestIo } from './test-io'

const CLIENT = { clientId: 'cli-check', clientSecret: 'cli-check-secret' }

let tmp: string
let server: RunningMockServer

function configYaml(overrides: { secret?: string | null; authUrl?: string } = {}): string {
  const secret =
    overrides.secret === null ? '' : `    client_secret: ${overrides.secret ?? CLIENT.clientSecret}\n`
  return (
    'integration:\n' +
    '  name: emulator\n' +
    '  type: workspace_one\n' +
    '  interval: 5m\n' +
    '  config:\n' +
    `    api_url: ${server.apiUrl}\n` +
    `    auth_url: ${overrides.authUrl ?? server.tokenUrl}\n` +
    `    client_id: ${CLIENT.clientId}\n` +
    secret +
    'rules:\n' +
    '  - name: WS1 compliant\n' +
    '    type: workspace_one\n' +
    '    input: { compliance_status: compliant, connection_id: emulator }\n' +
    'devices:\n' +
    '  - { device_id: cf-1, serial_number: C02CHECK0001, platform: mac, name: ana-mac }\n' +
    '  - { device_id: cf-2, serial_number: C02CHECK0002, platform: mac, name: ben-mac }\n' +
    '  - { device_id: cf-3, serial_number: NOT-IN-WS1, platform: windows, name: cy-pc }\n'
  )
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'ws1sim-check-'))
  server = await startMockServer({
    tenants: [
      {
        name: 'Check Corp',
        tenantCode: 'CHECKCODE',
        clients: [CLIENT],
        devices: [
          { serialNumber: 'C02CHECK0001', platform: 'AppleOsX', policies: [{ name: 'Firewall' }] },
          {
            serialNumber: 'C02CHECK0002',
            platform: 'AppleOsX',
            policies: [{ name: 'Firewall', compliant: false }],
          },
        ],
      },
    ],
  })
})

afterAll(async () => {
  await server.close()
  await rm(tmp, { recursive: true, force: true })
})

describe('check --once', () => {
  it('prints the verdict table and writes NDJSON', async () => {
    const config = path.join(tmp, 'once.yaml')
    await writeFile(config, configYaml())
    const io = createTestIo({ cwd: tmp })
    const code = await runCli(['check', '--config', 'once.yaml', '--once', '--results', 'out.ndjson'], io)
    expect(io.stderrText()).toBe('')
    expect(code).toBe(0)

    const table = io.stdoutText()
    expect(table).toMatch(/ana-mac\s+"C02CHECK0001"\s+mac\s+WS1 compliant\s+compliant\s+pass/)
    expect(table).toMatch(/ben-mac\s+"C02CHECK0002"\s+mac\s+WS1 compliant\s+noncompliant\s+fail\s+flag_failed/)
    expect(table).toMatch(/cy-pc\s+"NOT-IN-WS1"\s+windows\s+WS1 compliant\s+unknown\s+fail\s+not_found/)
    expect(table).toContain('poll 1 complete')

    const lines = (await readFile(path.join(tmp, 'out.ndjson'), 'utf8')).trimEnd().split('\n')
    expect(lines).toHaveLength(3)
    const first = JSON.parse(lines[0] ?? '') as Record<string, unknown>
    expect(first['PostureCheckType']).toBe('workspace_one')
    expect(first['DeviceID']).toBe('cf-1')
  })

  it('reads the secret from WS1_CLIENT_SECRET', async () => {
    await writeFile(path.join(tmp, 'env.yaml'), configYaml({ secret: null }))
    const io = createTestIo({ cwd: tmp, env: { WS1_CLIENT_SECRET: CLIENT.clientSecret } })
    expect(await runCli(['check', '--config', 'env.yaml', '--once'], io)).toBe(0)
  })

  it('exits 1 when the poll fails on a wrong secret', async () => {
    await writeFile(path.join(tmp, 'wrong.yaml'), configYaml({ secret: 'not-the-secret' }))
    const io = createTestIo({ cwd: tmp })
    expect(await runCli(['check', '--config', 'wrong.yaml', '--once'], io)).toBe(1)
    expect(io.stdoutText()).toContain('incomplete')
    expect(io.stdoutText()).not.toContain('not-the-secret')
  })
})

describe('check --test', () => {
  it('exits 0 when the connection works', async () => {
    await writeFile(path.join(tmp, 'test-ok.yaml'), configYaml())
    const io = createTestIo({ cwd: tmp })
    expect(await runCli(['check', '--config', 'test-ok.yaml', '--test'], io)).toBe(0)
    expect(io.stdoutText()).toMatch(/^ok: /)
  })

  it('names the token step when the secret is wrong', async () => {
    await writeFile(path.join(tmp, 'test-bad.yaml'), configYaml({ secret: 'not-the-secret' }))
    const io = createTestIo({ cwd: tmp })
    expect(await runCli(['check', '--config', 'test-bad.yaml', '--test'], io)).toBe(1)
    expect(io.stdoutText()).toContain('failed at step token')
  })
})

describe('check config errors', () => {
  it('exits 2 on a missing file', async () => {
    const io = createTestIo({ cwd: tmp })
    expect(await runCli(['check', '--config', 'nope.yaml', '--once'], io)).toBe(2)
    expect(io.stderrText()).toBe('ws1sim: config file nope.yaml not found. Check the path.\n')
  })

  it('exits 2 on YAML syntax errors with a position', async () => {
    await writeFile(path.join(tmp, 'syntax.yaml'), 'integration: [\n')
    const io = createTestIo({ cwd: tmp })
    expect(await runCli(['check', '--config', 'syntax.yaml', '--once'], io)).toBe(2)
    expect(io.stderrText()).toContain('syntax.yaml is not valid YAML or JSON.')
    expect(io.stderrText()).toMatch(/syntax\.yaml:\d+:\d+ /)
  })

  it('exits 2 on an alias bomb naming the file', async () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]']
    for (const [name, previous] of [['b', 'a'], ['c', 'b'], ['d', 'c'], ['e', 'd']]) {
      levels.push(`${name}: &${name} [${Array(10).fill(`*${previous}`).join(', ')}]`)
    }
    await writeFile(path.join(tmp, 'aliases.yaml'), `${levels.join('\n')}\n`)
    const io = createTestIo({ cwd: tmp })
    expect(await runCli(['check', '--config', 'aliases.yaml', '--once'], io)).toBe(2)
    expect(io.stderrText()).toContain('aliases.yaml is not usable YAML')
  })

  it('lists every invalid key', async () => {
    const bad = configYaml()
      .replace('interval: 5m', 'interval: often')
      .replace('compliance_status: compliant', 'compliance_status: green')
    await writeFile(path.join(tmp, 'invalid.yaml'), bad)
    const io = createTestIo({ cwd: tmp })
    expect(await runCli(['check', '--config', 'invalid.yaml', '--once'], io)).toBe(2)
    expect(io.stderrText()).toContain('integration.interval')
    expect(io.stderrText()).toContain('rules[0].input.compliance_status')
  })

  it('gives file:line:col of each invalid key', async () => {
    const bad = configYaml()
      .replace('interval: 5m', 'interval: often')
      .replace('compliance_status: compliant', 'compliance_status: green')
      .replace('  - { device_id: cf-3, serial_number: NOT-IN-WS1, platform: windows, name: cy-pc }\n', '  - { serial_number: X }\n')
    await writeFile(path.join(tmp, 'located.yaml'), bad)
    const io = createTestIo({ cwd: tmp })
    expect(await runCli(['check', '--config', 'located.yaml', '--once'], io)).toBe(2)
    const lines = io.stderrText().split('\n')
    expect(lines).toContain('  located.yaml:4:13 integration.interval: invalid duration "often"; expected a number with a unit such as "10m", "1h" or "2h30m"')
    expect(lines.some((line) => line.startsWith('  located.yaml:13:33 rules[0].input.compliance_status: '))).toBe(true)
    // A missing key points at the closest parent that exists.
    expect(lines.some((line) => line.startsWith('  located.yaml:17:5 devices[2].device_id: '))).toBe(true)
  })

  it('exits 2 when the secret is nowhere', async () => {
    await writeFile(path.join(tmp, 'nosecret.yaml'), configYaml({ secret: null }))
    const io = createTestIo({ cwd: tmp })
    expect(await runCli(['check', '--config', 'nosecret.yaml', '--once'], io)).toBe(2)
    expect(io.stderrText()).toContain('WS1_CLIENT_SECRET')
  })

  it('rejects --once with --test', async () => {
    await writeFile(path.join(tmp, 'both.yaml'), configYaml())
    const io = createTestIo({ cwd: tmp })
    expect(await runCli(['check', '--config', 'both.yaml', '--once', '--test'], io)).toBe(2)
  })
})

describe('check polling', () => {
  it('polls until shutdown and appends results', async () => {
    await writeFile(path.join(tmp, 'poll.yaml'), configYaml())
    const io = createTestIo({ cwd: tmp })
    const running = runCli(['check', '--config', 'poll.yaml', '--results', 'poll.ndjson'], io)
    // The first poll runs at start; stop as soon as its summary is printed.
    while (!io.stdoutText().includes('poll 1 complete')) await new Promise((resolve) => setTimeout(resolve, 10))
    io.stop()
    expect(await running).toBe(0)
    expect(io.stdoutText()).toContain('ben-mac · WS1 compliant: new -> noncompliant/fail')
    const lines = (await readFile(path.join(tmp, 'poll.ndjson'), 'utf8')).trimEnd().split('\n')
    expect(lines).toHaveLength(3)
  })
})
