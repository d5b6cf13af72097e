import { spawnSync } from 'node:child_process'
import os from 'node:os'

/** The machine a benchmark ran on, as BENCHMARKS.md reports it. */
export interface MachineInfo {
  cpuModel: string
  cores: number
  memoryGiB: number
  nodeVersion: string
  os: string
  /** One-minute load average when the bench started, because other work on the machine skews results. */
  loadAverage: number
  javaVersion: string | null
}

function firstLine(text: string): string | null {
  const line = text.split('\n')[0]?.trim()
  return line !== undefined && line.length > 0 ? line : null
}

/** Returns the first line of `java -version` (printed on stderr), or null when no Java runtime is on the PATH. */
export function detectJava(): string | null {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8', timeout: 20_000 })
  if (result.error !== undefined || result.status !== 0) {
    return null
  }
  return firstLine(result.stderr) ?? firstLine(result.stdout)
}

export function describeMachine(): MachineInfo {
  const cpus = os.cpus()
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: os.totalmem() / 1024 ** 3,
    nodeVersion: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    loadAverage: os.loadavg()[0] ?? 0,
    javaVersion: detectJava(),
  }
}
