import { parseWrkOutput } from './wrk'

// Output of wrk 4.1.0 with --latency against a 1.25 MB page, numbers changed.
const SUMMARY = `Running 3s test @ http://127.0.0.1:40113/API/mdm/devices/search?page=0&pagesize=500
  1 threads and 10 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     6.12ms    1.70ms  20.33ms   85.10%
    Req/Sec     1.41k   120.50     1.60k    76.67%
  Latency Distribution
     50%    5.98ms
     75%    6.80ms
     90%    7.95ms
     99%   12.04ms
  4231 requests in 3.01s, 4.93GB read
  Socket errors: connect 0, read 2, write 1, timeout 3
  Non-2xx or 3xx responses: 7
Requests/sec:   1405.65
Transfer/sec:      1.64GB
`

describe('parseWrkOutput', () => {
  test('reads totals, latencies and errors', () => {
    const result = parseWrkOutput(SUMMARY)

    expect(result.requests).toBe(4231)
    expect(result.durationSeconds).toBeCloseTo(3.01)
    expect(result.bytesRead).toBeCloseTo(4.93 * 1024 ** 3)
    expect(result.latencyP50Ms).toBeCloseTo(5.98)
    expect(result.latencyP99Ms).toBeCloseTo(12.04)
    expect(result.socketErrors).toBe(3)
    expect(result.timeouts).toBe(3)
    expect(result.non2xx).toBe(7)
  })

  test('converts microseconds and seconds', () => {
    const result = parseWrkOutput(SUMMARY.replace('5.98ms', '812.00us').replace('12.04ms', '1.20s'))

    expect(result.latencyP50Ms).toBeCloseTo(0.812)
    expect(result.latencyP99Ms).toBeCloseTo(1200)
  })

  test('counts no errors when wrk prints none', () => {
    const result = parseWrkOutput(SUMMARY.replace(/ {2}Socket errors.*\n/, '').replace(/ {2}Non-2xx.*\n/, ''))

    expect(result.socketErrors).toBe(0)
    expect(result.non2xx).toBe(0)
  })

  test('rejects output without a summary', () => {
    expect(() => parseWrkOutput('unable to connect to 127.0.0.1:1 Connection refused')).toThrow(/Unreadable wrk output/)
  })
})
