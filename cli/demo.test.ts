import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import pino from 'pino'
import { gatewayRefreshAfter } from '../harness'
import { defaultDemoFile } from './demo'
import { runCli } from './program'
import { FLIP_SCENARIO, LIVE_SCENARIO, WRONG_EXPECTATION_SCENARIO } from './scenario-fixtures'
import { createTestIo } from './test-io'

let tmp: string

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'ws1sim-demo-'))
  await writeFile(path.join(tmp, 'flip.yaml'), FLIP_SCENARIO)
  await writeFile(path.join(tmp, 'wrong.yaml'), WRONG_EXPECTATION_SCENARIO)
  await writeFile(path.join(tmp, 'live.yaml'), LIVE_SCENARIO)
})

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true })
})

describe('demo', () => {
  it('tells the flip with Access and Gateway times', async () => {
    const io = createTestIo({ cwd: tmp })
    expect(await runCli(['demo', '--scenario', 'flip.yaml'], io)).toBe(0)
    const text = io.stdoutText()
    expect(text).toContain('ws1sim demo: cli flag flip')
    expect(text).toContain('POST /connect/token -> 200')
    expect(text).toContain('+00:07:00  step: ')
    expect(text).toContain('flip-mac · Workspace ONE compliant: compliant/pass -> noncompliant/fail')
    expect(text).toContain('Access sees it now (+00:10:00), Gateway at its next cache refresh (+00:15:00)')
    expect(text).toContain('seen by poll 3 at +00:10:00, 3m after the step at +00:07:00')
    expect(text).toContain('Expectations: 1 of 1 held (all held).')
  })

  it('writes no log lines into the story', async () => {
    const io = createTestIo({ cwd: tmp })
    const logLines: string[] = []
    io.createLogger = (level) => pino({ level }, { write: (line: string) => void logLines.push(line) })
    expect(await runCli(['demo'], io)).toBe(0)
    expect(io.stdoutText()).toContain('429')
    expect(logLines).toEqual([])
  })

  it('exits 1 when an expectation fails', async () => {
    const io = createTestIo({ cwd: tmp })
    expect(await runCli(['demo', '--scenario', 'wrong.yaml'], io)).toBe(1)
    expect(io.stdoutText()).toContain('failed C02CLI00002')
  })

  it('tells the bundled story by default', async () => {
    const io = createTestIo()
    expect(await runCli(['demo'], io)).toBe(0)
    expect(io.stdoutText()).toContain('Summary')
    expect(io.stdoutText()).toContain('Gateway at')
    expect(path.basename(defaultDemoFile())).toBe('demo-story.yaml')
  })

  it('colours only a terminal without NO_COLOR', async () => {
    const plain = createTestIo({ cwd: tmp, tty: false })
    const colored = createTestIo({ cwd: tmp, tty: true })
    const noColor = createTestIo({ cwd: tmp, tty: true, env: { NO_COLOR: '1' } })
    // Pacing on a terminal would slow this test, so the terminal runs stop at once.
    colored.stop()
    noColor.stop()
    await runCli(['demo', '--scenario', 'flip.yaml'], plain)
    await runCli(['demo', '--scenario', 'flip.yaml'], colored)
    await runCli(['demo', '--scenario', 'flip.yaml'], noColor)
    expect(plain.stdoutText()).not.toContain('\u001b[')
    expect(colored.stdoutText()).toContain('\u001b[')
    expect(noColor.stdoutText()).not.toContain('\u001b[')
  })

  it('exits 2 on a missing scenario file', async () => {
    const io = createTestIo({ cwd: tmp })
    expect(await runCli(['demo', '--scenario', 'nope.yaml'], io)).toBe(2)
    expect(io.stderrText()).toContain('nope.yaml')
  })
})

describe('demo --live', () => {
  it('polls on the real clock until stopped', async () => {
    const io = createTestIo({ cwd: tmp })
    const done = runCli(['demo', '--live', '--scenario', 'flip.yaml', '--interval', '1h'], io)
    while (!io.stdoutText().includes('Press Ctrl-C')) await new Promise((resolve) => setTimeout(resolve, 10))
    io.stop()
    expect(await done).toBe(0)
    expect(io.stdoutText()).toContain('poll 1 complete')
    expect(io.stdoutText()).toMatch(/flip-mac\s+"C02FLIP0001"\s+mac/)
    expect(io.stdoutText()).toContain('/devices/serial:C02FLIP0001/policies/Firewall')
  })

  it('honours checker options, mirror and timeline', async () => {
    const io = createTestIo({ cwd: tmp })
    const done = runCli(['demo', '--live', '--scenario', 'live.yaml', '--interval', '1h'], io)
    while (!io.stdoutText().includes('Press Ctrl-C')) await new Promise((resolve) => setTimeout(resolve, 10))
    io.stop()
    expect(await done).toBe(0)
    const text = io.stdoutText()

    expect(text).toContain('timeline: 2 steps')
    // The step at 0s applies before the first poll, so its verdict table shows the failing flag.
    expect(text.indexOf('step at 0s: serial "C02LIVE0001": Firewall -> fail')).toBeLessThan(text.indexOf('poll 1 complete'))
    expect(text).toMatch(/live-first\s+"C02LIVE0001"\s+mac\s+.*noncompliant\s+fail\s+flag_failed/)
    expect(text).toMatch(/cf-00002\s+"C02LIVE0002"\s+mac\s+.*unknown\s+fail\s+never_evaluated/)
    expect(text).not.toContain('C02LIVE0003')
    // Stopping cancels the step at 1h.
    expect(text).not.toContain('step at 1h')
    expect(io.stderrText()).toBe('')
  })

  it('reports a failing step and keeps polling', async () => {
    const twice = LIVE_SCENARIO.replace('cli live options', 'cli live failing step').replace(
      '  - at: 1h\n    remove_device: { serial: C02LIVE0002 }',
      '  - at: 0s\n    remove_device: { serial: C02LIVE0002 }\n  - at: 0s\n    remove_device: { serial: C02LIVE0002 }',
    )
    await writeFile(path.join(tmp, 'twice.yaml'), twice)
    const io = createTestIo({ cwd: tmp })
    const done = runCli(['demo', '--live', '--scenario', 'twice.yaml', '--interval', '1h'], io)
    while (!io.stdoutText().includes('Press Ctrl-C')) await new Promise((resolve) => setTimeout(resolve, 10))
    io.stop()

    expect(await done).toBe(0)
    expect(io.stdoutText()).toContain('step at 0s: serial "C02LIVE0002" removed')
    expect(io.stderrText()).toMatch(/^timeline\[2\] at 0s: remove_device failed: /)
    expect(io.stdoutText()).toContain('poll 1 complete')
  })

  it('exits 2 on a bad interval', async () => {
    const io = createTestIo({ cwd: tmp })
    expect(await runCli(['demo', '--live', '--scenario', 'flip.yaml', '--interval', 'often'], io)).toBe(2)
    expect(io.stderrText()).toContain('--interval')
  })
})

describe('gatewayRefreshAfter', () => {
  it.each([
    [0, 300_000],
    [60_000, 300_000],
    [300_000, 600_000],
    [1_200_000, 1_500_000],
  ])('after %d ms is %d ms', (ms, expected) => {
    expect(gatewayRefreshAfter(ms)).toBe(expected)
  })
})
