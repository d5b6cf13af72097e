import path from 'node:path'
import { formatScenarioError, loadScenarioFiles, type LoadedScenario } from '../harness'
import { UsageError } from './errors'
import type { CliIo } from './io'

/** Resolves scenario paths and glob patterns given on the command line against the working directory. */
export function resolveScenarioPaths(paths: string[], io: CliIo): string[] {
  return paths.map((input) => path.resolve(io.cwd, input))
}

/**
 * Loads and validates one scenario file and returns its first scenario.
 * Validation errors become a usage error listing each of them.
 */
export async function loadOneScenario(file: string, io: CliIo): Promise<LoadedScenario> {
  const { scenarios, errors } = await loadScenarioFiles(resolveScenarioPaths([file], io))
  if (errors.length > 0) {
    throw new UsageError(`${file} is not a valid scenario file.`, errors.map(formatScenarioError))
  }
  const first = scenarios[0]
  if (first === undefined) {
    throw new UsageError(`${file} contains no scenario. Name scenario files *.yaml or *.yml.`)
  }
  return first
}
