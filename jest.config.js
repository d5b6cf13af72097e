/** Jest runs the TypeScript sources through ts-jest without type checking;
 * `npm test` type-checks the whole tree with tsc first. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/mock-workspace-one', '<rootDir>/posture-checker', '<rootDir>/harness', '<rootDir>/cli', '<rootDir>/bench', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 30000,
  // Every suite closes its servers, sockets and child processes. This is a
  // backstop: while several full runs shared two loaded cores, jest twice
  // stayed alive after its summary, and --detectOpenHandles found nothing.
  forceExit: true,
}
