import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { loadScenarioFiles, reporters, runScenarios } from '../harness'
import { ShutdownRequest } from './errors'
import { runCli } from './program'
import {
  FLIP_SCENARIO,
  INVALID_SCENARIO,
  PASSING_SCENARIO,
  WRONG_EXPECTATION_SCENARIO,
} from './scenario-fixtures'
import { createTestIo } from './test-io'

let tmp: string

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'ws1sim-run-'))
  await mkdir(path.join(tmp, 'good'))
  await writeFile(path.join(tmp, 'good', 'passing.yaml'), PASSING_SCENARIO)
  await writeFile(path.join(tmp, 'good', 'flip.yaml'), FLIP_SCENARIO)
  await writeFile(path.join(tmp, 'wrong.yaml'), WRONG_EXPECTATION_SCENARIO)
  await writeFile(path.join(tmp, 'invalid.yaml'), INVALID_SCENARIO)
})

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true })
})

describe('run', () => {
  it('exits 0 when every expectation holds', async () => {
    const io = createTestIo({ cwd: tmp })
    expect(await runCli(['run', 'good'], io)).toBe(0)
    expect(io.stdoutText()).toContain('cli passing scenario')
    expect(io.stdoutText()).toContain('cli flag flip')
    expect(io.stderrText()).toBe('')
  })

  it('exits 1 on a wrong expectation', async () => {
    const io = createTestIo({ cwd: tmp })
    expect(await runCli(['run', 'wrong.yaml'], io)).toBe(1)
    expect(io.stdoutText()).toContain('cli wrong expectation')
  })

  it('exits 2 on an invalid file and runs nothing', async () => {
    const io = createTestIo({ cwd: tmp })
    expect(await runCli(['run', 'good', 'invalid.yaml'], io)).toBe(2)
    expect(io.stderrText()).toMatch(/^invalid\.yaml:2:\d+ duration: /m)
    expect(io.stderrText()).toContain('no scenario was run')
    expect(io.stdoutText()).toBe('')
  })

  it('exits 130 when stopped by SIGINT', async () => {
    const io = createTestIo({ cwd: tmp })
    io.stop(new ShutdownRequest('SIGINT'))
    expect(await runCli(['run', 'good'], io)).toBe(130)
    expect(io.stderrText()).toContain('stopped by SIGINT after 0 of 2 scenarios')
  })

  it('exits 143 when stopped by SIGTERM', async () => {
    const io = createTestIo({ cwd: tmp })
    io.stop(new ShutdownRequest('SIGTERM'))
    expect(await runCli(['run', 'good', '--reporter', 'json'], io)).toBe(143)
    expect(JSON.parse(io.stdoutText())).toMatchObject({ total: 0 })
    expect(io.stderrText()).toContain('stopped by SIGTERM')
  })

  it('checks --out before running', async () => {
    const io = createTestIo({ cwd: tmp })
    expect(await runCli(['run', 'good', '--out', 'good'], io)).toBe(2)
    expect(io.stderrText()).toContain('cannot write report file good: it is a directory')
    expect(io.stdoutText()).toBe('')
  })

  it('checks --results folder before running', async () => {
    const io = createTestIo({ cwd: tmp })
    expect(await runCli(['run', 'good', '--results', 'no-such-folder/results.ndjson'], io)).toBe(2)
    expect(io.stderrText()).toContain('the folder no-such-folder does not exist')
    expect(io.stdoutText()).toBe('')
  })

  it('exits 2 on a path that does not exist', async () => {
    const io = createTestIo({ cwd: tmp })
    expect(await runCli(['run', 'missing.yaml'], io)).toBe(2)
    expect(io.stderrText()).toContain('missing.yaml')
  })

  it('expands glob patterns', async () => {
    const io = createTestIo({ cwd: tmp })
    expect(await runCli(['run', 'good/*.yaml', '--reporter', 'json'], io)).toBe(0)
    const report = JSON.parse(io.stdoutText()) as { total: number }
    expect(report.total).toBe(2)
  })

  it('writes JUnit XML and NDJSON results', async () => {
    const io = createTestIo({ cwd: tmp })
    const args = ['run', 'good', '--reporter', 'junit', '--out', 'junit.xml', '--results', 'results.ndjson']
    expect(await runCli(args, io)).toBe(0)
    expect(io.stdoutText()).toBe('')
    const xml = await readFile(path.join(tmp, 'junit.xml'), 'utf8')
    expect(xml).toMatch(/^<\?xml/)
    expect(xml).toContain('<testsuite')
    expect(xml).toContain('good/passing.yaml')
    expect(xml).not.toContain(tmp)
    const lines = (await readFile(path.join(tmp, 'results.ndjson'), 'utf8')).trimEnd().split('\n')
    expect(lines.length).toBeGreaterThan(0)
    for (const line of lines) expect(JSON.parse(line)).toHaveProperty('PostureCheckType', 'workspace_one')
    const sources = new Set(
      lines.map((line) => {
        const parsed = JSON.parse(line) as { scenario: string; scenarioFile: string }
        return `${parsed.scenarioFile}: ${parsed.scenario}`
      }),
    )
    expect([...sources].sort()).toEqual(['good/flip.yaml: cli flag flip', 'good/passing.yaml: cli passing scenario'])
  })

  it('streams the same results as the reporter', async () => {
    const io = createTestIo({ cwd: tmp })
    expect(await runCli(['run', 'good', '--results', 'streamed.ndjson'], io)).toBe(0)
    const { scenarios } = await loadScenarioFiles([path.join(tmp, 'good')])
    const report = await runScenarios(scenarios, { keepResults: 'all' })
    const displayed = { ...report, scenarios: report.scenarios.map((scenario) => ({ ...scenario, file: path.relative(tmp, scenario.file) })) }

    const streamed = await readFile(path.join(tmp, 'streamed.ndjson'), 'utf8')

    expect(streamed.length).toBeGreaterThan(0)
    expect(streamed).toBe(reporters.resultsNdjson(displayed))
  })

  it('runs only the selected shard', async () => {
    const first = createTestIo({ cwd: tmp })
    const second = createTestIo({ cwd: tmp })
    expect(await runCli(['run', 'good', '--shard', '1/2', '--reporter', 'json'], first)).toBe(0)
    expect(await runCli(['run', 'good', '--shard', '2/2', '--reporter', 'json'], second)).toBe(0)
    const names = (io: typeof first): string[] =>
      (JSON.parse(io.stdoutText()) as { scenarios: Array<{ name: string }> }).scenarios.map((s) => s.name)
    expect(names(first)).toHaveLength(1)
    expect(names(second)).toHaveLength(1)
    expect([...names(first), ...names(second)].sort()).toEqual(['cli flag flip', 'cli passing scenario'])
  })

  it('filters by --grep', async () => {
    const io = createTestIo({ cwd: tmp })
    expect(await runCli(['run', 'good', '--grep', 'FLIP', '--reporter', 'json'], io)).toBe(0)
    const report = JSON.parse(io.stdoutText()) as { scenarios: Array<{ name: string }> }
    expect(report.scenarios.map((scenario) => scenario.name)).toEqual(['cli flag flip'])
  })

  it('exits 2 when --grep matches nothing', async () => {
    const io = createTestIo({ cwd: tmp })
    expect(await runCli(['run', 'good', '--grep', 'no such name'], io)).toBe(2)
    expect(io.stderrText()).toContain('no scenario name contains "no such name"')
  })

  it('gives the same report bytes twice', async () => {
    const first = createTestIo({ cwd: tmp })
    const second = createTestIo({ cwd: tmp })
    await runCli(['run', 'good', '--results', 'a.ndjson'], first)
    await runCli(['run', 'good', '--results', 'b.ndjson'], second)
    const a = await readFile(path.join(tmp, 'a.ndjson'), 'utf8')
    const b = await readFile(path.join(tmp, 'b.ndjson'), 'utf8')
    expect(b).toBe(a)
  })
})

describe('validate', () => {
  it('exits 0 and counts valid scenarios', async () => {
    const io = createTestIo({ cwd: tmp })
    expect(await runCli(['validate', 'good'], io)).toBe(0)
    expect(io.stdoutText()).toBe('2 scenarios in 2 files valid\n')
  })

  it('exits 2 with file, line, column and key', async () => {
    const io = createTestIo({ cwd: tmp })
    expect(await runCli(['validate', 'invalid.yaml'], io)).toBe(2)
    const lines = io.stderrText().trimEnd().split('\n')
    expect(lines).toContainEqual(expect.stringMatching(/^invalid\.yaml:2:\d+ duration: found "soon", expected /))
    expect(lines).toContainEqual(expect.stringMatching(/^invalid\.yaml:3:\d+ fleet\.devicez: /))
    expect(io.stderrText()).not.toMatch(/^\s+at /m)
  })

  it('exits 2 on a folder without scenarios', async () => {
    await mkdir(path.join(tmp, 'empty'), { recursive: true })
    const io = createTestIo({ cwd: tmp })
    expect(await runCli(['validate', 'empty'], io)).toBe(2)
    expect(io.stderrText()).toContain('no scenarios found')
  })
})
