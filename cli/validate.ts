import { loadScenarioFiles } from '../harness'
import { ExitCode } from './errors'
import { plural } from './format'
import type { CliIo } from './io'
import { formatErrorForDisplay, resolveScenarioPaths } from './scenario'

/** Runs `ws1sim validate`: prints every error (file:line:col key: found, expected) and exits 0 or 2. */
export async function runValidate(files: string[], io: CliIo): Promise<number> {
  const { scenarios, errors } = await loadScenarioFiles(resolveScenarioPaths(files, io))
  for (const error of errors) io.stderr.write(`${formatErrorForDisplay(error, io)}\n`)
  if (errors.length > 0) {
    const fileCount = new Set(errors.map((error) => error.file)).size
    io.stderr.write(`Found ${plural(errors.length, 'error')} in ${plural(fileCount, 'file')}.\n`)
    return ExitCode.usage
  }
  if (scenarios.length === 0) {
    io.stderr.write(`no scenarios found in ${files.join(' ')}. Name scenario files *.yaml or *.yml.\n`)
    return ExitCode.usage
  }
  const fileCount = new Set(scenarios.map((scenario) => scenario.file)).size
  io.stdout.write(`${plural(scenarios.length, 'scenario')} in ${plural(fileCount, 'file')} valid\n`)
  return ExitCode.ok
}
