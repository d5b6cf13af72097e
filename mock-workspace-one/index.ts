/**
 * Public entry of the Workspace ONE UEM emulator. Everything else in this
 * folder is internal.
 */
export { createMockServer, type CreateMockServerOptions } from './app'
export { startMockServer } from './server'
export { createManualClock, createSystemClock, type SettableClock } from './clock'
export { createSelfSignedCertificate, type TlsCertificate } from './tls'
export { loadState, saveState } from './state'
export * from './types'
