/**
 * Validation of scenario files: YAML syntax, the JSON Schema, then semantic
 * checks. Every problem becomes one ScenarioError with file, line, column,
 * key path, what was found and what was expected.
 */
import Ajv, { type ErrorObject } from 'ajv'
import { formatPath, parseScenarioFile, type PathSegment, type ScenarioSource } from './yaml-source'
import { scenarioSchema } from './schema'
import { checkRunLimits } from './limits'
import { checkSemantics } from './semantics'
import type { ScenarioSpec } from './spec'

export interface ScenarioError {
  file: string
  line: number
  column: number
  /** Key path inside the file, for example cloudflare.rules[0].input. */
  path: string
  found: string
  expected: string
  /** A likely fix, such as the key the author probably meant. */
  hint?: string
}

export interface ValidatedScenario {
  spec: ScenarioSpec
  /** Position of the scenario within its file, 0-based. */
  index: number
}

/** Reports a problem at a path of one scenario. */
export type Report = (path: PathSegment[], found: string, expected: string, options?: { hint?: string; at?: 'key' | 'value' }) => void

const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true })
const validateSchema = ajv.compile(scenarioSchema)

/** Parses and validates one file's text; scenarios are returned only when the whole file is valid. */
export function validateScenarioText(text: string, file: string): { scenarios: ValidatedScenario[]; errors: ScenarioError[] } {
  let parsed: ReturnType<typeof parseScenarioFile>
  try {
    parsed = parseScenarioFile(text)
  } catch (error) {
    // The yaml package throws, instead of listing a syntax error, when aliases
    // expand too often (a "billion laughs" file) and on a few other inputs.
    const message = error instanceof Error ? error.message : String(error)
    const found = /alias/i.test(message) ? `too many alias expansions (${message})` : `a YAML error (${message})`
    return {
      scenarios: [],
      errors: [{ file, line: 1, column: 1, path: '(yaml)', found, expected: 'YAML whose aliases do not nest into an exponential expansion' }],
    }
  }
  const errors: ScenarioError[] = parsed.syntaxErrors.map(({ position, message }) => ({
    file,
    line: position.line,
    column: position.column,
    path: '(yaml)',
    found: `a YAML syntax error (${message})`,
    expected: 'valid YAML',
  }))
  if (errors.length > 0) return { scenarios: [], errors }
  if (parsed.scenarios.length === 0) {
    return { scenarios: [], errors: [{ file, line: 1, column: 1, path: '(root)', found: 'an empty file', expected: 'at least one scenario' }] }
  }

  const scenarios: ValidatedScenario[] = []
  const names = new Map<string, number>()
  parsed.scenarios.forEach((source, index) => {
    const report = reporter(file, source, errors)
    const before = errors.length
    if (!validateSchema(source.value)) {
      for (const problem of simplifyErrors(validateSchema.errors ?? [])) reportAjvError(problem, source.value, report)
    }
    if (errors.length > before) return

    const spec = source.value as ScenarioSpec
    const earlier = names.get(spec.name)
    if (earlier !== undefined) {
      report(['name'], JSON.stringify(spec.name), `a name not used by scenario ${earlier + 1} of this file`)
    }
    names.set(spec.name, index)
    checkSemantics(spec, file, report)
    checkRunLimits(spec, report)
    if (errors.length === before) scenarios.push({ spec, index })
  })
  errors.sort((a, b) => a.line - b.line || a.column - b.column)
  return { scenarios: errors.length > 0 ? [] : scenarios, errors }
}

/** Formats an error as `file:line:col key: found X, expected Y`, plus a hint when there is one. */
export function formatScenarioError(error: ScenarioError): string {
  const base = `${error.file}:${error.line}:${error.column} ${error.path}: found ${error.found}, expected ${error.expected}`
  return error.hint ? `${base} (${error.hint})` : base
}

function reporter(file: string, source: ScenarioSource, errors: ScenarioError[]): Report {
  return (path, found, expected, options) => {
    const position = source.locate(path, options?.at ?? 'value')
    const error: ScenarioError = {
      file,
      line: position.line,
      column: position.column,
      path: formatPath([...source.prefix, ...path]),
      found,
      expected,
    }
    if (options?.hint !== undefined) error.hint = options.hint
    errors.push(error)
  }
}

/** Short description of a value for messages: its JSON text, cut to 60 characters. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing'
  // JSON.stringify writes Infinity as null, which is not the value in the file.
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return Number.isNaN(value) ? 'NaN' : 'a number too large for a double, read as Infinity'
  }
  const json = JSON.stringify(value) ?? String(value)
  if (typeof value === 'object' && value !== null) {
    return Array.isArray(value) ? `a list (${json.length > 60 ? json.slice(0, 57) + '...' : json})` : 'a mapping'
  }
  return json.length > 60 ? json.slice(0, 57) + '...' : json
}

/**
 * Collapses anyOf branches to one error. When the value has the type of one
 * branch, that branch's own errors are kept because they are specific.
 * Otherwise a single error lists every accepted form.
 */
function simplifyErrors(errors: ErrorObject[]): ErrorObject[] {
  const anyOfs = errors.filter((error) => error.keyword === 'anyOf')
  const dropped = new Set<ErrorObject>()
  const merged: ErrorObject[] = []
  for (const anyOf of anyOfs) {
    const prefix = `${anyOf.schemaPath}/`
    const branches = errors.filter((error) => error.schemaPath.startsWith(prefix))
    const specific = branches.filter(
      (error) => !(error.instancePath === anyOf.instancePath && ['type', 'const', 'enum'].includes(error.keyword)),
    )
    dropped.add(anyOf)
    if (specific.length > 0) {
      for (const error of branches) if (!specific.includes(error)) dropped.add(error)
    } else {
      for (const error of branches) dropped.add(error)
      merged.push({ ...anyOf, keyword: 'anyOf', params: { forms: branches.map(expectedOf) } })
    }
  }
  return [...errors.filter((error) => !dropped.has(error)), ...merged]
}

function instanceSegments(instancePath: string): PathSegment[] {
  if (instancePath === '') return []
  return instancePath
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part))
}

function expectedOf(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>
  switch (error.keyword) {
    case 'type':
      return `a value of type ${String(params['type']).replace(/,/g, ' or ')}`
    case 'enum':
      return `one of ${(params['allowedValues'] as unknown[]).map((value) => JSON.stringify(value)).join(', ')}`
    case 'const':
      return JSON.stringify(params['allowedValue'])
    case 'pattern':
      return 'a duration such as 30s, 90m, 2h30m or 1d'
    case 'minimum':
    case 'maximum':
      return `a number ${String(params['comparison'])} ${String(params['limit'])}`
    case 'anyOf':
      return [...new Set(params['forms'] as string[])].join(', or ')
    default:
      return error.message ?? error.keyword
  }
}

function reportAjvError(error: ErrorObject, root: unknown, report: Report): void {
  const path = instanceSegments(error.instancePath)
  const params = error.params as Record<string, unknown>
  const value = error.keyword === 'anyOf' ? valueAt(root, path) : error.data
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params['additionalProperty'])
      const parent = error.parentSchema as { properties?: Record<string, unknown> } | undefined
      const allowed = Object.keys(parent?.properties ?? {})
      const suggestion = closest(key, allowed)
      const options: { hint?: string; at: 'key' } = { at: 'key' }
      if (suggestion !== undefined) options.hint = `did you mean "${suggestion}"?`
      report([...path, key], `unknown key "${key}"`, allowed.length > 0 ? `one of the keys ${allowed.join(', ')}` : 'no keys', options)
      return
    }
    case 'required': {
      const key = String(params['missingProperty'])
      report(path, `no key "${key}"`, `the required key "${key}"`, { at: 'key' })
      return
    }
    case 'enum': {
      const allowed = (params['allowedValues'] as unknown[]).map(String)
      const suggestion = typeof value === 'string' ? closest(value, allowed) : undefined
      report(path, describeValue(value), expectedOf(error), suggestion ? { hint: `did you mean "${suggestion}"?` } : undefined)
      return
    }
    default:
      report(path, describeValue(value), expectedOf(error))
  }
}

function valueAt(root: unknown, path: PathSegment[]): unknown {
  let current = root
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined
    current = (current as Record<string, unknown>)[String(segment)]
  }
  return current
}

/** Finds the allowed word nearest to `word` by edit distance, when it is close enough to be a typo. */
export function closest(word: string, allowed: string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of allowed) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase())
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  const limit = Math.max(2, Math.floor(word.length / 3))
  return bestDistance <= limit ? best : undefined
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost))
    }
    previous = current
  }
  return previous[b.length] ?? 0
}
