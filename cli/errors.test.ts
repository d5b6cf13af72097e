import { runCli } from './program'
import { createTestIo } from './test-io'

// A command that fails with a programming error, to see how runCli reports it.
jest.mock('./check', () => ({
  runCheck: () => Promise.reject(new TypeError('cannot read properties of undefined')),
}))

describe('unexpected errors', () => {
  it('print one line and exit 1', async () => {
    const io = createTestIo()
    expect(await runCli(['check', '--config', 'x.yaml'], io)).toBe(1)
    expect(io.stderrText()).toBe(
      'ws1sim: unexpected error: cannot read properties of undefined\n' +
        '(add --verbose or set DEBUG=ws1sim to print the stack trace)\n',
    )
  })

  it('print the stack with --verbose', async () => {
    const io = createTestIo()
    expect(await runCli(['check', '--config', 'x.yaml', '--verbose'], io)).toBe(1)
    expect(io.stderrText()).toMatch(/^TypeError: cannot read properties of undefined\n\s+at /m)
  })

  it('print the stack with DEBUG=ws1sim', async () => {
    const io = createTestIo({ env: { DEBUG: 'ws1sim' } })
    expect(await runCli(['check', '--config', 'x.yaml'], io)).toBe(1)
    expect(io.stderrText()).toMatch(/\n\s+at /)
  })
})
