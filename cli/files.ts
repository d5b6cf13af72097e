import { readFile, writeFile } from 'node:fs/promises'
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
  return document.toJS()
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
