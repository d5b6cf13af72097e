/**
 * Public entry of the posture checker: a Cloudflare-style Workspace ONE
 * service-to-service client and evaluator. It reaches Workspace ONE only
 * over HTTP, so it works against the emulator and a real tenant alike.
 */
export * from './types'
export { parseDuration } from './duration'
export { ConfigError, ProviderError, IncompleteSyncError } from './errors'
export type { ProviderErrorKind } from './errors'
export { validateCheckerConfig, CLIENT_SECRET_ENV } from './config'
export type { ConfigIssue, ValidationResult } from './config'
export { PostureChecker } from './checker'
export type { ConnectionTestResult } from './checker'
export { Poller } from './poller'
export type { PollerOptions } from './poller'
export { toNdjson } from './results'
export { systemClock } from './clock'
export { normaliseSerial, isPlaceholderSerial } from './match'
export { parseWs1Date } from './records'
export { evaluateDevices } from './evaluate-devices'
export type { DeviceEvaluationOptions } from './evaluate-devices'
export { readWs1Record } from './records'
export type { Ws1Record, ComplianceFlag } from './records'
