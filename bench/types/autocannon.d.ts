/** The subset of autocannon 8's programmatic API that the bench uses (the package ships no types). */
declare module 'autocannon' {
  interface AutocannonOptions {
    url: string
    method?: string
    headers?: Record<string, string>
    body?: string
    connections?: number
    duration?: number
    pipelining?: number
    timeout?: number
  }

  interface Histogram {
    average: number
    mean: number
    min: number
    max: number
    total: number
    p50: number
    p99: number
  }

  interface AutocannonResult {
    duration: number
    errors: number
    timeouts: number
    non2xx: number
    resets: number
    latency: Histogram
    requests: Histogram & { sent: number }
    throughput: Histogram
  }

  function autocannon(options: AutocannonOptions): Promise<AutocannonResult>

  export = autocannon
}
