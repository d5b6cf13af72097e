import { constants } from 'node:fs'
import { access, readFile, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { LineCounter, parseDocument } from 'yaml'
import { UsageError, errorMessage } from './errors'

/** Reads a text file named on the command line. A missing or unreadable file is a usage error. */
export async function readInputFile(file: string, cwd: string, what: string): Promise<string> {
  const absolute = path.resolve(cwd, file)
  try {
    return await readFile(absolute, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new UsageError(`${what} ${file} not found. Check the path.`)
    throw new UsageError(`cannot read ${what} ${file}: ${errorMessage(error)}`)
  }
}

/**
 * Parses YAML or JSON text (YAML 1.2 reads JSON too). Syntax errors become a
 * usage error listing `file:line:col message` for each.
 */
export function parseYamlOrJson(text: string, file: string): unknown {
  return parseYamlOrJsonWithPositions(text, file).value
}

/**
 * Parses like parseYamlOrJson and also returns `locate`, which turns a key
 * path such as `rules[1].input.compliance_status` into `line:col` of that
 * value. A path that is missing from the file gives the position of its
 * closest existing parent.
 */
export function parseYamlOrJsonWithPositions(text: string, file: string): { value: unknown; locate: (keyPath: string) => string } {
  const lineCounter = new LineCounter()
  const document = parseDocument(text, { prettyErrors: false, lineCounter })
  const locate = (keyPath: string): string => {
    const segments = keyPath.match(/[^.[\]]+/g) ?? []
    for (let length = segments.length; length >= 0; length--) {
      const path = segments.slice(0, length).map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment))
      const node: unknown = length === 0 ? document.contents : document.getIn(path, true)
      const range = (node as { range?: [number, number, number] } | null | undefined)?.range
      if (range !== undefined) {
        const position = lineCounter.linePos(range[0])
        return `${position.line}:${position.col}`
      }
    }
    return '1:1'
  }
  return { value: parseDocumentValue(document, lineCounter, file), locate }
}

function parseDocumentValue(document: ReturnType<typeof parseDocument>, lineCounter: LineCounter, file: string): unknown {
  if (document.errors.length > 0) {
    const details = document.errors.map((error) => {
      const position = lineCounter.linePos(error.pos[0])
      return `${file}:${position.line}:${position.col} ${error.message.split('\n')[0] ?? error.code}`
    })
    throw new UsageError(`${file} is not valid YAML or JSON.`, details)
  }
  try {
    return document.toJS()
  } catch (error) {
    // The yaml package throws here, for example when aliases expand too often.
    throw new UsageError(`${file} is not usable YAML: ${errorMessage(error)}`)
  }
}

/**
 * Checks that an output file named on the command line can be written, before
 * a long run produces its content. Throws a usage error naming the file when
 * the path is a directory, its folder is missing, or either is read-only.
 */
export async function checkOutputFile(file: string, cwd: string, what: string): Promise<void> {
  const absolute = path.resolve(cwd, file)
  const existing = await stat(absolute).catch(() => undefined)
  if (existing?.isDirectory() === true) {
    throw new UsageError(`cannot write ${what} ${file}: it is a directory. Name a file inside it.`)
  }
  const target = existing === undefined ? path.dirname(absolute) : absolute
  try {
    await access(target, constants.W_OK)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new UsageError(`cannot write ${what} ${file}: the folder ${path.dirname(file)} does not exist.`)
    throw new UsageError(`cannot write ${what} ${file}: ${errorMessage(error)}`)
  }
}

/** Writes an output file named on the command line. A failure is a usage error naming the file. */
export async function writeOutputFile(file: string, cwd: string, text: string, what: string): Promise<void> {
  const absolute = path.resolve(cwd, file)
  try {
    await writeFile(absolute, text, 'utf8')
  } catch (error) {
    throw new UsageError(`cannot write ${what} ${file}: ${errorMessage(error)}`)
  }
}
