/**
 * Finds scenario files (files, directories or glob patterns), validates
 * them and returns every scenario with its file and position.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { validateScenarioText, type ScenarioError } from './validate'
import type { ScenarioSpec } from './spec'

export interface LoadedScenario {
  file: string
  name: string
  /** Position of the scenario in its file, 0-based. */
  index: number
  spec: ScenarioSpec
}

const SCENARIO_EXTENSIONS = ['.yaml', '.yml']

/** Loads and validates scenarios; returns no scenario of a file that has any error. */
export async function loadScenarioFiles(paths: string[]): Promise<{ scenarios: LoadedScenario[]; errors: ScenarioError[] }> {
  const scenarios: LoadedScenario[] = []
  const errors: ScenarioError[] = []
  const files: string[] = []
  for (const input of paths) {
    const found = await expandPath(input)
    if (found === undefined) {
      errors.push({ file: input, line: 1, column: 1, path: '(file)', found: 'no such file, directory or matching pattern', expected: 'a scenario file, a directory of *.yaml files or a glob' })
      continue
    }
    for (const file of found) if (!files.includes(file)) files.push(file)
  }

  for (const file of files) {
    let text: string
    try {
      text = await fs.readFile(file, 'utf8')
    } catch (error) {
      errors.push({ file, line: 1, column: 1, path: '(file)', found: (error as NodeJS.ErrnoException).code ?? String(error), expected: 'a readable file' })
      continue
    }
    const result = validateScenarioText(text, file)
    errors.push(...result.errors)
    for (const { spec, index } of result.scenarios) scenarios.push({ file, name: spec.name, index, spec })
  }
  return { scenarios, errors }
}

/** Files named by one input, sorted; undefined when nothing matches. */
async function expandPath(input: string): Promise<string[] | undefined> {
  if (/[*?[]/.test(input)) return expandGlob(input)
  const stat = await fs.stat(input).catch(() => undefined)
  if (stat === undefined) return undefined
  if (stat.isFile()) return [input]
  if (!stat.isDirectory()) return undefined
  const entries = await fs.readdir(input, { withFileTypes: true })
  return entries
    .filter((entry) => entry.isFile() && SCENARIO_EXTENSIONS.includes(path.extname(entry.name)))
    .map((entry) => path.join(input, entry.name))
    .sort()
}

/**
 * Expands `*` (within one path segment), `?` and `**` (any depth). Node 20
 * has no fs.glob, so this walks the directory that precedes the first
 * wildcard.
 */
async function expandGlob(pattern: string): Promise<string[] | undefined> {
  const normalized = pattern.replace(/\\/g, '/')
  const segments = normalized.split('/')
  const firstWild = segments.findIndex((segment) => /[*?[]/.test(segment))
  const base = segments.slice(0, firstWild).join('/') || (normalized.startsWith('/') ? '/' : '.')
  const matcher = globToRegExp(normalized)
  const matches: string[] = []
  const walk = async (dir: string): Promise<void> => {
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => [])
    for (const entry of entries) {
      const full = dir === '.' ? entry.name : `${dir.replace(/\/$/, '')}/${entry.name}`
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && !entry.name.startsWith('.')) await walk(full)
      } else if (entry.isFile() && matcher.test(full)) {
        matches.push(full)
      }
    }
  }
  await walk(base)
  const files = matches.filter((file) => SCENARIO_EXTENSIONS.includes(path.extname(file))).sort()
  return files.length > 0 ? files : undefined
}

function globToRegExp(pattern: string): RegExp {
  let source = ''
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] as string
    if (char === '*' && pattern[i + 1] === '*') {
      source += pattern[i + 2] === '/' ? '(?:.*/)?' : '.*'
      i += pattern[i + 2] === '/' ? 2 : 1
    } else if (char === '*') source += '[^/]*'
    else if (char === '?') source += '[^/]'
    else source += char.replace(/[.+^${}()|\\\]]/g, '\\$&')
  }
  const stripped = source.startsWith('\\./') ? source.slice(3) : source
  return new RegExp(`^(?:\\./)?${stripped}$`)
}
