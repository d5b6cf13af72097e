/** Jest hooks shared by the checker's nock tests. */
import nock from 'nock'

/**
 * Blocks real connections while the file's tests run, drops interceptors
 * and pending requests after each test, and unpatches http and fetch after
 * the file, so later test files in the same worker use real sockets.
 */
export function useOfflineNock(): void {
  beforeAll(() => nock.disableNetConnect())
  afterEach(() => {
    nock.abortPendingRequests()
    nock.cleanAll()
  })
  afterAll(() => {
    nock.enableNetConnect()
    nock.restore()
  })
}
