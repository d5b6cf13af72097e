import { debugEnabled, runCli } from './program'
import { createTestIo } from './test-io'

describe('runCli usage', () => {
  it('prints help and exits 0 on --help', async () => {
    const io = createTestIo()
    expect(await runCli(['--help'], io)).toBe(0)
    expect(io.stdoutText()).toContain('Usage: ws1sim')
    for (const command of ['demo', 'run', 'validate', 'serve', 'check']) {
      expect(io.stdoutText()).toContain(command)
    }
  })

  it('prints the version and exits 0', async () => {
    const io = createTestIo()
    expect(await runCli(['--version'], io)).toBe(0)
    expect(io.stdoutText()).toMatch(/^\d+\.\d+\.\d+\n$/)
  })

  it('exits 2 without a command', async () => {
    const io = createTestIo()
    expect(await runCli([], io)).toBe(2)
    expect(io.stderrText()).toContain('Usage: ws1sim')
  })

  it('exits 2 on an unknown command', async () => {
    const io = createTestIo()
    expect(await runCli(['serv'], io)).toBe(2)
    expect(io.stderrText()).toContain("unknown command 'serv'")
    expect(io.stderrText()).toContain('Did you mean serve?')
  })

  it('exits 2 on an unknown flag', async () => {
    const io = createTestIo()
    expect(await runCli(['serve', '--prot', '80'], io)).toBe(2)
    expect(io.stderrText()).toContain("unknown option '--prot'")
  })

  it('exits 2 on a bad port', async () => {
    const io = createTestIo()
    expect(await runCli(['serve', '--port', 'http'], io)).toBe(2)
    expect(io.stderrText()).toContain('port must be a whole number from 0 to 65535.')
  })

  it('exits 2 on a bad shard', async () => {
    const io = createTestIo()
    expect(await runCli(['run', '--shard', '5/4'], io)).toBe(2)
    expect(io.stderrText()).toContain('shard "5/4" is out of range')
  })

  it('exits 2 on an unknown reporter', async () => {
    const io = createTestIo()
    expect(await runCli(['run', '--reporter', 'tap'], io)).toBe(2)
    expect(io.stderrText()).toContain('Allowed choices are console, json, junit.')
  })

  it('exits 2 when check has no --config', async () => {
    const io = createTestIo()
    expect(await runCli(['check', '--once'], io)).toBe(2)
    expect(io.stderrText()).toContain("required option '--config <file>' not specified")
  })

  it('exits 2 when --tls meets --cert', async () => {
    const io = createTestIo()
    expect(await runCli(['serve', '--tls', '--cert', 'a.pem'], io)).toBe(2)
    expect(io.stderrText()).toContain('cannot be used with option')
  })

  it('exits 2 when validate has no file', async () => {
    const io = createTestIo()
    expect(await runCli(['validate'], io)).toBe(2)
    expect(io.stderrText()).toContain("missing required argument 'files'")
  })
})

describe('command help', () => {
  it.each([
    ['serve', ['--port <number>', 'default: 0', '--json', 'clientSecret', '--state <file>', '--admin-token']],
    ['run', ['--reporter <name>', 'default: "console"', '--shard <I/N>', '--results <file>', '--grep <text>']],
    ['check', ['--config <file>', '--once', '--test', 'WS1_CLIENT_SECRET', 'Exit status']],
    ['demo', ['--live', '--scenario <file>', '--interval <duration>']],
    ['validate', ['<files...>']],
  ])('%s --help names its flags', async (command, fragments) => {
    const io = createTestIo()
    expect(await runCli([command, '--help'], io)).toBe(0)
    for (const fragment of fragments) expect(io.stdoutText()).toContain(fragment)
  })
})

describe('debugEnabled', () => {
  it.each([
    ['ws1sim', true],
    ['express,ws1sim', true],
    ['ws1sim:*', true],
    ['*', true],
    ['express', false],
    ['', false],
  ])('DEBUG=%s gives %s', (value, expected) => {
    expect(debugEnabled({ DEBUG: value })).toBe(expected)
  })
})
