/**
 * Error types of the posture checker. A `ProviderError` carries the kind that
 * `PollOutcome.error.kind` reports, so the poll can decide whether results are
 * kept, and whether a retry could help.
 */

/** Invalid configuration or option; `key` is the path of the offending value. */
export class ConfigError extends Error {
  readonly key: string

  constructor(key: string, message: string) {
    super(message)
    this.name = 'ConfigError'
    this.key = key
  }
}

export type ProviderErrorKind = 'config' | 'auth' | 'provider' | 'schema' | 'quota'

/** Request stage that failed: the OAuth token request or a REST API call. */
export type ProviderStep = 'token' | 'api'

/** A failure talking to Workspace ONE that ended a request after any retries. */
export class ProviderError extends Error {
  readonly kind: ProviderErrorKind
  readonly step: ProviderStep
  /** Stable code: an errorCode from the body, an OAuth error, a Node error code or our own. */
  readonly code: string | undefined
  readonly status: number | undefined

  constructor(
    kind: ProviderErrorKind,
    step: ProviderStep,
    message: string,
    details: { code?: string | undefined; status?: number | undefined } = {},
  ) {
    super(message)
    this.name = 'ProviderError'
    this.kind = kind
    this.step = step
    this.code = details.code
    this.status = details.status
  }
}

/** A device sync that did not see the whole fleet; nothing new may be published. */
export class IncompleteSyncError extends ProviderError {
  constructor(code: string, message: string) {
    super('schema', 'api', message, { code })
    this.name = 'IncompleteSyncError'
  }
}
