import path from 'node:path'
import { formatScenarioError, loadScenarioFiles, type LoadedScenario, type ScenarioError } from '../harness'
import { UsageError } from './errors'
import type { CliIo } from './io'
import { packageRoot } from './paths'

/** Resolves scenario paths and glob patterns given on the command line against the working directory. */
export function resolveScenarioPaths(paths: string[], io: CliIo): string[] {
  return paths.map((input) => path.resolve(io.cwd, input))
}

/**
 * Loads and validates one scenario file and returns its first scenario.
 * Validation errors become a usage error listing each of them.
 */
/**
 * Returns `file` as a reader wants to see it: relative to the working
 * directory when inside it, else relative to the package root when inside
 * that, else absolute. Reports use it too, so they do not depend on where
 * the repository is checked out.
 */
export function displayPath(file: string, io: CliIo): string {
  const absolute = path.resolve(io.cwd, file)
  for (const base of [io.cwd, packageRoot()]) {
    const relative = path.relative(base, absolute)
    if (relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative)) return relative
  }
  return absolute
}

/** Formats a scenario error with its file shown by displayPath. */
export function formatErrorForDisplay(error: ScenarioError, io: CliIo): string {
  return formatScenarioError({ ...error, file: displayPath(error.file, io) })
}

export async function loadOneScenario(file: string, io: CliIo): Promise<LoadedScenario> {
  const { scenarios, errors } = await loadScenarioFiles(resolveScenarioPaths([file], io))
  if (errors.length > 0) {
    throw new UsageError(
      `${file} is not a valid scenario file.`,
      errors.map((error) => formatErrorForDisplay(error, io)),
    )
  }
  const first = scenarios[0]
  if (first === undefined) {
    throw new UsageError(`${file} contains no scenario. Name scenario files *.yaml or *.yml.`)
  }
  return first
}
