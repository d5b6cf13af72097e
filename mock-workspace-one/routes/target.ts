import type { IncomingMessage } from 'node:http'
import type { Request } from 'express'

/** A request target split at its first `?`. */
export interface RequestTarget {
  path: string
  /** Query string without the `?`; empty when there is none. */
  search: string
}

const SLASH = 0x2f
const QUESTION_MARK = 0x3f

/**
 * Splits an origin-form request target at its first `?`. Returns undefined
 * when the target does not start with `/` or has white space, `#`, U+00A0
 * or U+FEFF. The parseurl package that Express uses hands such targets to
 * `url.parse`, so the caller leaves them to Express to get the same path
 * and query.
 */
export function splitRequestTarget(url: string): RequestTarget | undefined {
  if (url.charCodeAt(0) !== SLASH) return undefined
  let questionMark = -1
  for (let i = 0; i < url.length; i++) {
    const code = url.charCodeAt(i)
    if (code === QUESTION_MARK) {
      if (questionMark < 0) questionMark = i
    } else if (
      code === 0x20 ||
      code === 0x23 ||
      code === 0x09 ||
      code === 0x0a ||
      code === 0x0c ||
      code === 0x0d ||
      code === 0xa0 ||
      code === 0xfeff
    ) {
      return undefined
    }
  }
  if (questionMark < 0) return { path: url, search: '' }
  return { path: url.slice(0, questionMark), search: url.slice(questionMark + 1) }
}

/**
 * Returns the path of a request without Express's `req.path`, which parses
 * the URL again. Only a request that Express routed can have a target that
 * the split leaves to Express, so the fallback reads its `req.path`.
 */
export function requestPath(req: IncomingMessage): string {
  const url = req.url ?? '/'
  return splitRequestTarget(url)?.path ?? (req as Request).path
}
