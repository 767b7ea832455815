import { readRetryAfterMs, redactTokenLike } from '@tokenflight/core'
import * as oauth from 'oauth4webapi'
import { AuthorizationServerError } from './authorization-server-error.js'

type RequestOptions = oauth.HttpRequestOptions<'GET'> &
  oauth.HttpRequestOptions<'POST', URLSearchParams>

/** The transport options of one oauth4webapi call: abort signal, custom fetch, plain HTTP for loopback. */
export function requestOptions(
  url: URL,
  signal: AbortSignal | undefined,
  customFetch: typeof fetch | undefined,
): RequestOptions {
  const options: RequestOptions = {}
  if (signal !== undefined) options.signal = signal
  if (customFetch !== undefined) {
    options[oauth.customFetch] = (resource, { body, ...init }) =>
      customFetch(resource, body === undefined ? init : { ...init, body })
  }
  // Endpoint options only accept plain http for loopback addresses.
  if (url.protocol === 'http:') options[oauth.allowInsecureRequests] = true
  return options
}

export interface RequestFailureContext {
  /** The URL that was requested. */
  endpoint: string
  /** The signal the request was sent with: once it aborted, its reason is what the caller expects. */
  signal: AbortSignal | undefined
  what: 'Token endpoint' | 'Metadata endpoint'
  /** Credentials this request sent, blanked out of anything the server echoes back. */
  secrets?: readonly string[]
}

/**
 * Turns what an oauth4webapi request or response step threw into an `AuthorizationServerError` that names the
 * endpoint and what went wrong. Its causes never hold a response body: one can carry tokens, and a JSON parse error
 * quotes the text it failed on. Misuse (a `TypeError` from oauth4webapi's argument checks) is returned as is.
 */
export function describeRequestFailure(error: unknown, context: RequestFailureContext): unknown {
  const { endpoint, signal, what, secrets = [] } = context
  if (signal?.aborted) return signal.reason ?? error
  const at = `${what} ${endpoint}`
  if (error instanceof oauth.ResponseBodyError) {
    const description = redactTokenLike(blankOut(error.error_description, secrets))
    return new AuthorizationServerError(
      `${at} answered ${error.status} ${error.error}${description === undefined ? '' : `: ${description}`}`,
      {
        endpoint,
        status: error.status,
        error: error.error,
        errorDescription: description,
        retryAfterMs: readRetryAfterMs(error.response, Date.now()),
      },
    )
  }
  if (error instanceof oauth.WWWAuthenticateChallengeError) {
    const code = error.cause.find((challenge) => challenge.parameters.error)?.parameters.error
    return new AuthorizationServerError(
      `${at} answered ${error.status} with a WWW-Authenticate challenge${code === undefined ? '' : `: ${code}`}`,
      { endpoint, status: error.status, error: code },
    )
  }
  if (error instanceof oauth.OperationProcessingError) {
    const response = error.cause instanceof Response ? error.cause : undefined
    const status = response?.status
    // A 429 or 503 may say how long to wait before the next refresh, whatever its body.
    const retryAfterMs = readRetryAfterMs(response, Date.now())
    switch (error.code) {
      case oauth.RESPONSE_IS_NOT_CONFORM:
        return new AuthorizationServerError(`${at} answered HTTP ${status}`, {
          endpoint,
          status,
          retryAfterMs,
        })
      case oauth.RESPONSE_IS_NOT_JSON: {
        const type = response?.headers.get('content-type') || 'no content type'
        return new AuthorizationServerError(
          `${at} answered HTTP ${status} with ${type} instead of JSON: is it an OAuth 2 endpoint?`,
          { endpoint, status, retryAfterMs },
        )
      }
      case oauth.PARSE_ERROR:
        return new AuthorizationServerError(`${at} answered with malformed JSON`, { endpoint })
      default:
        // oauth4webapi's messages name the field at fault, never its value.
        return new AuthorizationServerError(
          `${at} answered with an invalid response: ${error.message}`,
          {
            endpoint,
          },
        )
    }
  }
  if (error instanceof oauth.UnsupportedOperationError) {
    return new AuthorizationServerError(
      `${at} answered with an unsupported response: ${error.message}`,
      {
        endpoint,
      },
    )
  }
  if (isArgumentError(error)) return error
  // What fetch throws: a refused connection, an unknown host, a reset.
  const reason = networkErrorCode(error)
  return new AuthorizationServerError(
    `${at} could not be reached${reason === undefined ? '' : ` (${reason})`}`,
    { endpoint, cause: error },
  )
}

function blankOut(text: string | undefined, secrets: readonly string[]): string | undefined {
  if (text === undefined || text === '') return undefined
  let safe = text
  for (const secret of secrets) if (secret !== '') safe = safe.replaceAll(secret, '[redacted]')
  return safe
}

function isArgumentError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return (
    error instanceof TypeError && typeof code === 'string' && code.startsWith('ERR_INVALID_ARG')
  )
}

function networkErrorCode(error: unknown): string | undefined {
  let current: unknown = error
  for (let depth = 0; depth < 3 && typeof current === 'object' && current !== null; depth++) {
    const { code, cause } = current as { code?: unknown; cause?: unknown }
    if (typeof code === 'string') return code
    current = cause
  }
  return undefined
}
