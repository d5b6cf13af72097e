/** Reads V8 `.cpuprofile` files written by `node --cpu-prof` and ranks functions by self time. */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'

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
  /** Share of all sampled time, 0..1. */
  share: number
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

/** Sums self time per function over one profile and returns the `limit` largest. */
export function topSelfTime(profile: CpuProfile, repoRoot: string, limit: number): SelfTimeEntry[] {
  const nodeById = new Map<number, ProfileNode>()
  for (const node of profile.nodes) {
    nodeById.set(node.id, node)
  }

  // V8 stores one sample per tick; timeDeltas[i] is the time (µs) before sample i.
  const selfMicros = new Map<string, number>()
  let totalMicros = 0
  profile.samples.forEach((nodeId, index) => {
    const delta = profile.timeDeltas[index] ?? 0
    const node = nodeById.get(nodeId)
    if (node === undefined) {
      return
    }
    const location = describeFrame(node.callFrame, repoRoot)
    selfMicros.set(location, (selfMicros.get(location) ?? 0) + delta)
    totalMicros += delta
  })

  return [...selfMicros.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([location, micros]) => ({
      location,
      selfMs: micros / 1000,
      share: totalMicros > 0 ? micros / totalMicros : 0,
    }))
}

/** Loads the single `.cpuprofile` file that `node --cpu-prof --cpu-prof-dir=DIR` left in `directory`. */
export function readProfileFrom(directory: string): CpuProfile {
  const files = readdirSync(directory).filter((name) => name.endsWith('.cpuprofile'))
  const file = files[0]
  if (file === undefined) {
    throw new Error(`No .cpuprofile file in ${directory}: the profiled process did not exit normally.`)
  }
  return JSON.parse(readFileSync(path.join(directory, file), 'utf8')) as CpuProfile
}
