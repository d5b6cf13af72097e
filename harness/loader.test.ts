import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { loadScenarioFiles } from './loader'

const SCENARIO = (name: string): string => `name: ${name}\ncloudflare: {devices: []}\n`

describe('loadScenarioFiles', () => {
  let dir: string

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ws1sim-loader-'))
    fs.mkdirSync(path.join(dir, 'nested', 'deeper'), { recursive: true })
    fs.writeFileSync(path.join(dir, 'b.yaml'), SCENARIO('b'))
    fs.writeFileSync(path.join(dir, 'a.yml'), `- ${SCENARIO('a1').replace('\n', '\n  ')}- name: a2\n`)
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a scenario')
    fs.writeFileSync(path.join(dir, 'nested', 'c.yaml'), SCENARIO('c'))
    fs.writeFileSync(path.join(dir, 'nested', 'deeper', 'd.yaml'), `${SCENARIO('d1')}---\n${SCENARIO('d2')}`)
  })

  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true })
  })

  test('directory loads its yaml files in name order', async () => {
    const { scenarios, errors } = await loadScenarioFiles([dir])

    expect(errors).toEqual([])
    expect(scenarios.map((scenario) => [path.basename(scenario.file), scenario.name, scenario.index])).toEqual([
      ['a.yml', 'a1', 0],
      ['a.yml', 'a2', 1],
      ['b.yaml', 'b', 0],
    ])
  })

  test('glob with ** reaches nested files and --- documents', async () => {
    const { scenarios, errors } = await loadScenarioFiles([`${dir}/**/*.yaml`])

    expect(errors).toEqual([])
    expect(scenarios.map((scenario) => scenario.name)).toEqual(['b', 'c', 'd1', 'd2'])
  })

  test('single-star glob stays in one directory', async () => {
    const { scenarios } = await loadScenarioFiles([`${dir}/nested/*.yaml`])

    expect(scenarios.map((scenario) => scenario.name)).toEqual(['c'])
  })

  test('a file named twice loads once', async () => {
    const file = path.join(dir, 'b.yaml')
    const { scenarios } = await loadScenarioFiles([file, file])

    expect(scenarios).toHaveLength(1)
  })

  test('glob matching nothing is an error', async () => {
    const { scenarios, errors } = await loadScenarioFiles([`${dir}/*.json`])

    expect(scenarios).toEqual([])
    expect(errors[0]?.found).toBe('no such file, directory or matching pattern')
  })
})
