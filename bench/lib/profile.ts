/** Reads V8 CPU profiles (the `.cpuprofile` format) and ranks functions by self time. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import path from 'node:path'
import { table } from './report'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
}

interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

export interface SelfTimeEntry {
  /** Function name with its file and 1-based line, paths relative to the repository. */
  location: string
  selfMs: number
  /** Share of the busy (non-idle) sampled time, 0..1. */
  share: number
}

export interface SelfTimeSummary {
  entries: SelfTimeEntry[]
  busyMs: number
  idleMs: number
}

/** Names a call frame as `name (file:line)`, shortening paths under `repoRoot`. */
function describeFrame(frame: ProfileNode['callFrame'], repoRoot: string): string {
  const name = frame.functionName === '' ? '(anonymous)' : frame.functionName
  if (frame.url === '') {
    return name
  }
  let file = frame.url.startsWith('file://') ? frame.url.slice('file://'.length) : frame.url
  if (file.startsWith(repoRoot)) {
    file = path.relative(repoRoot, file)
  }
  return `${name} (${file}:${frame.lineNumber + 1})`
}

/** Sums self time per function over one profile and returns the `limit` largest, idle time apart. */
export function topSelfTime(profile: CpuProfile, repoRoot: string, limit: number): SelfTimeSummary {
  const nodeById = new Map<number, ProfileNode>()
  for (const node of profile.nodes) {
    nodeById.set(node.id, node)
  }

  // V8 stores one sample per tick, and timeDeltas[i] is the time in microseconds before sample i.
  const selfMicros = new Map<string, number>()
  let busyMicros = 0
  let idleMicros = 0
  profile.samples.forEach((nodeId, index) => {
    const delta = profile.timeDeltas[index] ?? 0
    const node = nodeById.get(nodeId)
    if (node === undefined) {
      return
    }
    if (node.callFrame.functionName === '(idle)') {
      idleMicros += delta
      return
    }
    const location = describeFrame(node.callFrame, repoRoot)
    selfMicros.set(location, (selfMicros.get(location) ?? 0) + delta)
    busyMicros += delta
  })

  const entries = [...selfMicros.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([location, micros]) => ({
      location,
      selfMs: micros / 1000,
      share: busyMicros > 0 ? micros / busyMicros : 0,
    }))
  return { entries, busyMs: busyMicros / 1000, idleMs: idleMicros / 1000 }
}

/** Loads a profile written as `Profiler.stop` returns it (the `.cpuprofile` format). */
export function readProfile(file: string): CpuProfile {
  if (!existsSync(file)) {
    throw new Error(`No CPU profile at ${file}: the profiled process did not stop normally.`)
  }
  return JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
}

/** Environment variable that makes a bench worker profile its timed section into this file. */
export const PROFILE_ENV = 'BENCH_CPU_PROFILE'

/**
 * Runs `task`, under the V8 CPU profiler when the PROFILE_ENV variable names
 * a file, and writes the profile there. Without the variable it only runs `task`.
 */
export async function profileIfRequested<T>(task: () => Promise<T>): Promise<T> {
  const file = process.env[PROFILE_ENV]
  if (file === undefined || file === '') {
    return task()
  }

  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.start')
  try {
    return await task()
  } finally {
    const { profile } = await session.post('Profiler.stop')
    writeFileSync(file, JSON.stringify(profile))
    session.disconnect()
  }
}

/** Renders the top self-time functions of a profile as a Markdown table with a one-line caption. */
export function renderProfile(caption: string, file: string, repoRoot: string, limit = 12): string {
  const summary = topSelfTime(readProfile(file), repoRoot, limit)
  const busyShare = summary.busyMs / Math.max(1, summary.busyMs + summary.idleMs)
  const rows = summary.entries.map((entry) => [entry.location, entry.selfMs.toFixed(0), `${(entry.share * 100).toFixed(1)} %`])
  return [
    `${caption} Busy ${(busyShare * 100).toFixed(0)} % of the profiled ${((summary.busyMs + summary.idleMs) / 1000).toFixed(1)} s. Top self time, as shares of the busy time:`,
    '',
    table(['function (file:line)', 'self ms', 'share of busy'], rows),
  ].join('\n')
}
