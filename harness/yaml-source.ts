/**
 * YAML parsing that keeps source positions, so validation errors can name
 * the line and column of the key or value at fault.
 */
import { LineCounter, isMap, isScalar, isSeq, parseAllDocuments, type Node } from 'yaml'

export type PathSegment = string | number

export interface SourcePosition {
  line: number
  column: number
}

/** One scenario's raw value with the means to locate any path inside it. */
export interface ScenarioSource {
  value: unknown
  /** Path of the scenario inside its document, for example [] or [2]. */
  prefix: PathSegment[]
  locate(path: PathSegment[], target?: 'key' | 'value'): SourcePosition
}

export interface ParsedFile {
  scenarios: ScenarioSource[]
  /** YAML syntax errors, already positioned. */
  syntaxErrors: Array<{ position: SourcePosition; message: string }>
}

/** Formats a path as dotted keys with [index] for list items. */
export function formatPath(path: PathSegment[]): string {
  let out = ''
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`
    else out += out === '' ? segment : `.${segment}`
  }
  return out === '' ? '(root)' : out
}

/** Splits a file into scenarios: each document is one scenario or a list of them. */
export function parseScenarioFile(text: string): ParsedFile {
  const lineCounter = new LineCounter()
  const documents = parseAllDocuments(text, { lineCounter, prettyErrors: false, merge: true })
  const position = (offset: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset)
    return { line, column: col }
  }
  const result: ParsedFile = { scenarios: [], syntaxErrors: [] }
  const docs = Array.isArray(documents) ? documents : [documents]

  for (const doc of docs) {
    for (const error of doc.errors) {
      result.syntaxErrors.push({ position: position(error.pos[0]), message: error.message.split('\n')[0] ?? error.message })
    }
    if (doc.errors.length > 0) continue
    const root = doc.contents as Node | null
    if (root === null) continue
    const value: unknown = doc.toJS({ maxAliasCount: 100 })
    const locate = (path: PathSegment[], target: 'key' | 'value' = 'value'): SourcePosition =>
      position(offsetOf(root, path, target))

    if (isSeq(root) && Array.isArray(value)) {
      value.forEach((item: unknown, index) => {
        result.scenarios.push({ value: item, prefix: [index], locate: (path, target) => locate([index, ...path], target) })
      })
    } else {
      result.scenarios.push({ value, prefix: [], locate })
    }
  }
  return result
}

/** Offset of the deepest node along `path`; the key's offset when target is 'key'. */
function offsetOf(root: Node, path: PathSegment[], target: 'key' | 'value'): number {
  let node: Node = root
  let offset = node.range?.[0] ?? 0
  for (let i = 0; i < path.length; i++) {
    const segment = path[i]
    const last = i === path.length - 1
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment))
      if (pair === undefined) return offset
      const key = pair.key as Node
      if (last && target === 'key') return key.range?.[0] ?? offset
      if (pair.value === null || pair.value === undefined) return key.range?.[0] ?? offset
      node = pair.value as Node
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as Node | undefined
      if (item === undefined) return offset
      node = item
    } else {
      return offset
    }
    offset = node.range?.[0] ?? offset
  }
  return offset
}
