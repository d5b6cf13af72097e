import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'

/**
 * Finds the package root (the folder with this package's package.json) by
 * walking up from this file, so the same code works from cli/ under ts-jest
 * and from dist/cli/ after a build, whatever the working directory is.
 */
export function packageRoot(start: string = __dirname): string {
  let dir = start
  for (;;) {
    const manifest = path.join(dir, 'package.json')
    if (existsSync(manifest) && readPackageName(manifest) === 'ws1sim') return dir
    const parent = path.dirname(dir)
    if (parent === dir) {
      throw new Error(`package.json of ws1sim not found above ${start}`)
    }
    dir = parent
  }
}

function readPackageName(manifest: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(manifest, 'utf8'))
    if (typeof parsed === 'object' && parsed !== null && 'name' in parsed) {
      return typeof parsed.name === 'string' ? parsed.name : undefined
    }
  } catch {
    // An unreadable manifest is not ours, so keep walking up.
  }
  return undefined
}

/** Returns the bundled scenarios folder. */
export function scenariosDir(): string {
  return path.join(packageRoot(), 'scenarios')
}

/** Version from package.json, for `ws1sim --version`. */
export function packageVersion(): string {
  const parsed: unknown = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8'))
  if (typeof parsed === 'object' && parsed !== null && 'version' in parsed) {
    return String(parsed.version)
  }
  return '0.0.0'
}
