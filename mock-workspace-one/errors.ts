/**
 * Error bodies of the emulator. Under /API they use the Workspace ONE shape
 * `{"errorCode","message","activityId"}`; the control API uses plain
 * `{"error","message"}`.
 */

/** An error a request handler raises to send a Workspace ONE error body. */
export class ApiError extends Error {
  override readonly name = 'ApiError'

  constructor(
    readonly status: number,
    readonly errorCode: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
  }
}

/** An error a control API handler raises to send `{"error","message"}`. */
export class AdminError extends Error {
  override readonly name = 'AdminError'

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

/** Serializes a Workspace ONE error body; key order matches real responses. */
export function ws1ErrorBody(errorCode: number, message: string, activityId: string): Buffer {
  return Buffer.from(JSON.stringify({ errorCode, message, activityId }))
}

export function invalidTenantCode(code: string): ApiError {
  return new ApiError(403, 1013, `Tenant code ${code} does not identify an Organization Group.`)
}

export function invalidBasicCredentials(username: string): ApiError {
  return new ApiError(
    401,
    1005,
    'An error occurred while validating remote service client credentials or user not found : ' +
      username,
  )
}

export function deviceNotFound(): ApiError {
  return new ApiError(404, 5061, 'Device not found for this request.')
}

/** Creates a 400 that names the query field or header at fault and how to fix it. */
export function invalidParameter(field: string, value: string, expected: string): ApiError {
  return new ApiError(400, 400, `Invalid value '${value}' for '${field}': ${expected}`)
}

/**
 * Builds the ASP.NET-style error page of the `html-error` fault, like the
 * page an IIS host or gateway sends when the application fails.
 */
export function serverErrorHtml(status: number): string {
  const title = status === 504 ? 'Gateway Timeout' : 'Runtime Error'
  return (
    '<!DOCTYPE html>\n<html>\n<head>\n    <title>' +
    title +
    '</title>\n</head>\n<body>\n<span><H1>Server Error in \'/API\' Application.<hr></H1>\n' +
    `<h2> <em>${title}</em> </h2></span>\n` +
    `<strong> Description: </strong>HTTP ${status}. An application error occurred on the server.\n` +
    '<br><br>\n</body>\n</html>\n'
  )
}

/** Status, code and message of a client error, as the control API sends them. */
export interface ClientErrorDescription {
  status: number
  code: string
  message: string
}

/**
 * Describes an error of Express or its body parsers that the client caused:
 * a body over 1 MB, invalid JSON, or another 4xx such as a broken
 * percent-encoding. Returns undefined for any other error.
 */
export function describeRequestError(error: unknown): ClientErrorDescription | undefined {
  const type = (error as { type?: unknown }).type
  if (type === 'entity.too.large') {
    return { status: 413, code: 'payload_too_large', message: 'The request body is larger than 1 MB.' }
  }
  if (type === 'entity.parse.failed') {
    return { status: 400, code: 'invalid_json', message: 'The request body is not valid JSON.' }
  }
  const status = (error as { status?: unknown }).status
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const reason = error instanceof Error ? error.message : String(error)
    return { status, code: 'bad_request', message: `The request is invalid: ${reason}` }
  }
  return undefined
}

/**
 * The ASP.NET page a Workspace ONE tenant sends, with status 404, for a path
 * under /API that no endpoint serves. Byte-identical to a real response,
 * tabs included, and without a final newline.
 */
export const UNKNOWN_ROUTE_HTML = `<!DOCTYPE html>
<html lang="en">

<head>
    <title>The resource cannot be found.</title>
    <meta name="viewport" content="width=device-width"/>
    <style>
		body {
			font-family: Verdana, sans-serif;
			font-weight: normal;
			font-size: .7em;
			color: black;
		}

		p {
			font-family: Verdana, sans-serif;
			font-weight: normal;
			color: black;
			margin-top: -5px
		}

		b {
			font-family: Verdana, sans-serif;
			font-weight: bold;
			color: black;
			margin-top: -5px
		}

		H1 {
			font-family: Verdana, sans-serif;
			font-weight: normal;
			font-size: 18pt;
			color: red
		}

		H2 {
			font-family: Verdana, sans-serif;
			font-weight: normal;
			font-size: 14pt;
			color: maroon
		}

		pre {
			font-family: "Consolas", "Lucida Console", Monospace;
			font-size: 11pt;
			margin: 0;
			padding: 0.5em;
			line-height: 14pt
		}

		.marker {
			font-weight: bold;
			color: black;
			text-decoration: none;
		}

		.version {
			color: gray;
		}

		.error {
			margin-bottom: 10px;
		}

		.expandable {
			text-decoration: underline;
			font-weight: bold;
			color: navy;
			cursor: pointer;
		}

		@media screen and (max-width: 639px) {
			pre {
				width: 440px;
				overflow: auto;
				white-space: pre-wrap;
				word-wrap: break-word;
			}
		}

		@media screen and (max-width: 479px) {
			pre {
				width: 280px;
			}
		}


    </style>
</head>

<body>

<span><H1>Server Error in '/Api/Mdm' Application.<hr></H1>

            <h2> <em>The resource cannot be found.</em> </h2></span>

<strong> Description: </strong>HTTP 404. The resource you are looking for (or one of its dependencies) could have been
removed, had its name changed, or is temporarily unavailable. &nbsp;Please review the following URL and make
sure that it is spelled correctly.
<br><br>

</body>

</html>`
