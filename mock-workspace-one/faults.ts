import { deriveBytes } from './headers'
import { parseInstant } from './clock'
import type { FaultRule } from './types'

export type FaultEffect = FaultRule['effect']

/** The request attributes that fault rules match on. */
export interface FaultRequest {
  /** Endpoint family of the request: the REST API or the token endpoint. */
  endpoint: 'api' | 'token'
  /** Path without the `/API` prefix, lowercased, for example `/mdm/devices/search`. */
  path: string
  method: string
  /** Query with lowercased keys. */
  query: Record<string, string>
  clientId: string | null
  now: number
}

interface FaultState {
  rule: FaultRule & { id: string }
  pathSegments: string[] | undefined
  query: Array<[string, string]>
  after: number | undefined
  before: number | undefined
  matched: number
  fired: number
  random: () => number
}

/**
 * Deterministic fault rules. A rule counts every request that matches its
 * path, method, query, client and time window; `nth`, `fromNth`,
 * `probability` and `times` then decide whether it fires. A rule without a
 * path matches /API requests only, so token requests reach a token
 * endpoint rule only when its path names that endpoint. Probability draws
 * come from a generator seeded by the emulator seed and the rule id, so a
 * replay fires on the same calls.
 */
export class FaultEngine {
  private readonly states: FaultState[] = []
  private counter = 0

  constructor(private readonly seed: number) {}

  /** Adds a rule (validated by the caller) and returns its id. */
  add(rule: FaultRule): string {
    this.counter += 1
    const id = rule.id ?? `fault-${this.counter}`
    if (this.states.some((state) => state.rule.id === id)) {
      throw new Error(`A fault with id "${id}" already exists; remove it first or pick another id.`)
    }
    const match = rule.match ?? {}
    this.states.push({
      rule: { ...rule, id },
      pathSegments: match.path === undefined ? undefined : splitPath(normalizeFaultPath(match.path)),
      query: Object.entries(match.query ?? {}).map(([key, value]) => [key.toLowerCase(), String(value)]),
      after: match.after === undefined ? undefined : parseInstant(match.after),
      before: match.before === undefined ? undefined : parseInstant(match.before),
      matched: 0,
      fired: 0,
      random: seededRandom(deriveBytes(this.seed, 'fault', 0).readUInt32LE(0) ^ hashString(id)),
    })
    return id
  }

  remove(id: string): boolean {
    const index = this.states.findIndex((state) => state.rule.id === id)
    if (index < 0) return false
    this.states.splice(index, 1)
    return true
  }

  clear(): void {
    this.states.length = 0
  }

  get size(): number {
    return this.states.length
  }

  /** Rules with their match and fire counts, in the order they were added. */
  list(): Array<FaultRule & { id: string; matched: number; fired: number }> {
    return this.states.map((state) => ({ ...state.rule, matched: state.matched, fired: state.fired }))
  }

  /** Rules as added, for snapshots. */
  rules(): FaultRule[] {
    return this.states.map((state) => ({ ...state.rule }))
  }

  /** Returns the rules that fire for this request, in the order they were added. */
  evaluate(request: FaultRequest): Array<FaultRule & { id: string }> {
    if (this.states.length === 0) return []
    const fired: Array<FaultRule & { id: string }> = []
    for (const state of this.states) {
      if (!this.matches(state, request)) continue
      state.matched += 1
      const match = state.rule.match ?? {}
      if (match.nth !== undefined && state.matched !== match.nth) continue
      if (match.fromNth !== undefined && state.matched < match.fromNth) continue
      if (match.probability !== undefined && state.random() >= match.probability) continue
      if (state.rule.times !== undefined && state.fired >= state.rule.times) continue
      state.fired += 1
      fired.push(state.rule)
    }
    return fired
  }

  private matches(state: FaultState, request: FaultRequest): boolean {
    const match = state.rule.match ?? {}
    if (match.method !== undefined && match.method.toUpperCase() !== request.method) return false
    if (state.pathSegments === undefined) {
      if (request.endpoint !== 'api') return false
    } else if (!pathMatches(state.pathSegments, request.path)) {
      return false
    }
    for (const [key, value] of state.query) {
      if (request.query[key] !== value) return false
    }
    if (match.clientId !== undefined && match.clientId !== request.clientId) return false
    if (state.after !== undefined && request.now < state.after) return false
    if (state.before !== undefined && request.now >= state.before) return false
    return true
  }
}

/** Lowercases a rule path and drops a leading `/API`, so `/API/mdm/x` and `/mdm/x` are the same rule. */
export function normalizeFaultPath(path: string): string {
  let normalized = path.trim().toLowerCase()
  if (!normalized.startsWith('/')) normalized = `/${normalized}`
  if (normalized === '/api' || normalized.startsWith('/api/')) normalized = normalized.slice(4)
  if (normalized.length > 1 && normalized.endsWith('/')) normalized = normalized.slice(0, -1)
  return normalized === '' ? '/' : normalized
}

function splitPath(path: string): string[] {
  return path.split('/').filter((segment) => segment !== '')
}

function pathMatches(pattern: string[], path: string): boolean {
  const segments = splitPath(path)
  if (segments.length !== pattern.length) return false
  return pattern.every((part, i) => part === '*' || part === segments[i])
}

function hashString(text: string): number {
  let hash = 2166136261
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 16777619)
  }
  return hash >>> 0
}

/** mulberry32: a small, fast 32-bit generator; plenty for deciding fault draws. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

type FieldKind = 'number' | 'string' | 'numstr' | 'array' | 'record' | 'any'

const EXPECTED_KIND_TEXT: Record<FieldKind, string> = {
  number: 'a number',
  string: 'a string',
  numstr: 'a number or a string',
  array: 'an array',
  record: 'an object',
  any: 'a value',
}

const EFFECT_FIELDS: Record<FaultEffect['type'], Record<string, FieldKind>> = {
  status: { status: 'number', body: 'any', headers: 'record' },
  'rate-limit': { retryAfter: 'numstr' },
  delay: { ms: 'number' },
  reset: {},
  'malformed-json': {},
  'truncated-body': { bytes: 'number' },
  'html-error': { status: 'number' },
  'premature-204': {},
  'wrong-total': { total: 'number' },
  'empty-page': {},
  'missing-envelope': {},
  'expire-token': {},
  'mutate-fleet': { devices: 'array', removeSerials: 'array' },
}

const REQUIRED_EFFECT_FIELDS: Partial<Record<FaultEffect['type'], string[]>> = {
  status: ['status'],
  delay: ['ms'],
  'wrong-total': ['total'],
}

const MATCH_FIELDS: Record<string, FieldKind> = {
  path: 'string',
  method: 'string',
  query: 'record',
  clientId: 'string',
  nth: 'number',
  fromNth: 'number',
  after: 'numstr',
  before: 'numstr',
  probability: 'number',
}

/**
 * Maximum `delay` fault effect in milliseconds: 10 minutes. That is longer
 * than any client timeout worth testing, and a request held longer only ties
 * up a socket.
 */
export const MAX_FAULT_DELAY_MS = 600_000

/**
 * Maximum numeric `retryAfter` of a `rate-limit` fault, in seconds: one day,
 * the period of Workspace ONE's daily API quota. A text value is sent as it is.
 */
export const MAX_RETRY_AFTER_SECONDS = 86_400

/**
 * Checks an untrusted fault rule (from the control API or a scenario) and
 * returns it typed. Throws a TypeError that names the field and the fix.
 */
export function validateFaultRule(input: unknown): FaultRule {
  if (!isPlainObject(input)) throw new TypeError('A fault rule must be a JSON object with an "effect".')
  for (const key of Object.keys(input)) {
    if (!['id', 'match', 'effect', 'times'].includes(key)) {
      throw new TypeError(`Unknown fault field "${key}"; expected id, match, effect or times.`)
    }
  }
  const { id, match, effect, times } = input
  if (id !== undefined && (typeof id !== 'string' || id === '')) {
    throw new TypeError('Fault field "id" must be a non-empty string.')
  }
  if (times !== undefined && !isPositiveInteger(times)) {
    throw new TypeError(`Fault field "times" must be a positive integer, got ${JSON.stringify(times)}.`)
  }
  if (match !== undefined) validateMatch(match)
  validateEffect(effect)
  return input as unknown as FaultRule
}

function validateMatch(match: unknown): void {
  if (!isPlainObject(match)) throw new TypeError('Fault field "match" must be an object.')
  for (const [key, value] of Object.entries(match)) {
    const kind = MATCH_FIELDS[key]
    if (kind === undefined) {
      throw new TypeError(
        `Unknown fault field "match.${key}"; expected one of ${Object.keys(MATCH_FIELDS).join(', ')}.`,
      )
    }
    checkKind(`match.${key}`, value, kind)
  }
  if (match['nth'] !== undefined && !isPositiveInteger(match['nth'])) {
    throw new TypeError('Fault field "match.nth" must be a positive integer (1 is the first call).')
  }
  if (match['fromNth'] !== undefined && !isPositiveInteger(match['fromNth'])) {
    throw new TypeError('Fault field "match.fromNth" must be a positive integer (1 is the first call).')
  }
  const probability = match['probability']
  if (typeof probability === 'number' && (probability < 0 || probability > 1)) {
    throw new TypeError(`Fault field "match.probability" must be between 0 and 1, got ${probability}.`)
  }
  for (const key of ['after', 'before']) {
    if (match[key] !== undefined && parseInstant(match[key]) === undefined) {
      throw new TypeError(
        `Fault field "match.${key}" must be an ISO 8601 date-time or epoch milliseconds, got ${JSON.stringify(match[key])}.`,
      )
    }
  }
  const query = match['query']
  if (isPlainObject(query)) {
    for (const [key, value] of Object.entries(query)) {
      if (typeof value !== 'string' && typeof value !== 'number') {
        throw new TypeError(`Fault field "match.query.${key}" must be a string.`)
      }
    }
  }
}

function validateEffect(effect: unknown): void {
  if (!isPlainObject(effect)) {
    throw new TypeError('Fault field "effect" is missing or not an object; give {"type": ...}.')
  }
  const type = effect['type']
  const fields = typeof type === 'string' ? EFFECT_FIELDS[type as FaultEffect['type']] : undefined
  if (fields === undefined) {
    throw new TypeError(
      `Fault field "effect.type" is ${JSON.stringify(type)}; expected one of ${Object.keys(EFFECT_FIELDS).join(', ')}.`,
    )
  }
  for (const [key, value] of Object.entries(effect)) {
    if (key === 'type') continue
    const kind = fields[key]
    if (kind === undefined) {
      const allowed = Object.keys(fields)
      throw new TypeError(
        `Unknown fault field "effect.${key}" for type ${type}` +
          (allowed.length > 0 ? `; expected ${allowed.join(', ')}.` : '; this type takes no options.'),
      )
    }
    checkKind(`effect.${key}`, value, kind)
  }
  for (const key of REQUIRED_EFFECT_FIELDS[type as FaultEffect['type']] ?? []) {
    if (effect[key] === undefined) throw new TypeError(`Fault field "effect.${key}" is required for type ${type}.`)
  }
  const status = effect['status']
  if (typeof status === 'number' && (!Number.isInteger(status) || status < 100 || status > 599)) {
    throw new TypeError(`Fault field "effect.status" must be an HTTP status 100..599, got ${status}.`)
  }
  for (const key of ['ms', 'bytes', 'total']) {
    const value = effect[key]
    if (typeof value === 'number' && (!Number.isInteger(value) || value < 0)) {
      throw new TypeError(`Fault field "effect.${key}" must be a non-negative integer, got ${value}.`)
    }
  }
  const retryAfter = effect['retryAfter']
  if (typeof retryAfter === 'number' && (!Number.isInteger(retryAfter) || retryAfter < 0 || retryAfter > MAX_RETRY_AFTER_SECONDS)) {
    throw new TypeError(
      `Fault field "effect.retryAfter" must be a whole number of seconds from 0 to ${MAX_RETRY_AFTER_SECONDS}, got ${retryAfter}.`,
    )
  }
  const delayMs = effect['ms']
  if (typeof delayMs === 'number' && delayMs > MAX_FAULT_DELAY_MS) {
    throw new TypeError(
      `Fault field "effect.ms" must be at most ${MAX_FAULT_DELAY_MS} (10 minutes), got ${delayMs}; use a shorter delay.`,
    )
  }
  const headers = effect['headers']
  if (isPlainObject(headers)) {
    for (const [key, value] of Object.entries(headers)) {
      if (typeof value !== 'string') throw new TypeError(`Fault field "effect.headers.${key}" must be a string.`)
    }
  }
}

function checkKind(field: string, value: unknown, kind: FieldKind): void {
  const ok =
    kind === 'number'
      ? typeof value === 'number' && Number.isFinite(value)
      : kind === 'string'
        ? typeof value === 'string'
        : kind === 'numstr'
          ? typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))
          : kind === 'array'
            ? Array.isArray(value)
            : kind === 'record'
              ? isPlainObject(value)
              : value !== undefined
  if (!ok) {
    const expected = EXPECTED_KIND_TEXT[kind]
    throw new TypeError(`Fault field "${field}" must be ${expected}, got ${JSON.stringify(value)}.`)
  }
}

function isPositiveInteger(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
