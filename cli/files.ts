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
  const lineCounter = new LineCounter()
  const document = parseDocument(text, { prettyErrors: false, lineCounter })
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
