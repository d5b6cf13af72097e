import { readFile, rename, writeFile } from 'node:fs/promises'
import type { EmulatorControl } from './types'

/**
 * Reads a state file written by `saveState` and returns the snapshot for
 * `emulator.restore`. Throws an Error naming the file when it cannot be read
 * or is not JSON; `restore` checks the content.
 */
export async function loadState(file: string): Promise<unknown> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error'
    throw new Error(`Cannot read state file ${file} (${code}).`)
  }
  try {
    return JSON.parse(text) as unknown
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    throw new Error(`State file ${file} is not valid JSON (${reason}).`)
  }
}

/**
 * Writes the emulator's snapshot (tenants, devices, clients with their
 * secrets, faults) to `file`. It writes a temporary file and renames it, so
 * a crash never leaves half a state file. The file is created with mode 0600
 * because it contains client secrets.
 */
export async function saveState(emulator: EmulatorControl, file: string): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`
  await writeFile(temporary, `${JSON.stringify(emulator.snapshot(), null, 2)}\n`, { mode: 0o600 })
  await rename(temporary, file)
}
