/**
 * The authorization server answered with an error or with something that is not OAuth, or could not be reached: a
 * refresher treats it as transient (the grants turn `invalid_grant` into `SessionExpiredError` instead).
 */
export class AuthorizationServerError extends Error {
  override name = 'AuthorizationServerError' as const
  readonly code = 'AUTHORIZATION_SERVER_ERROR' as const
  /** The RFC 6749 error code the server answered with, such as `invalid_client`; undefined when it sent none. */
  readonly error: string | undefined
  /** The server's `error_description`, with any credential this request sent blanked out. */
  readonly errorDescription: string | undefined
  /** The HTTP status of the answer; undefined when none arrived. */
  readonly status: number | undefined
  /** The URL that was requested. */
  readonly endpoint: string

  constructor(
    message: string,
    details: {
      endpoint: string
      status?: number | undefined
      error?: string | undefined
      errorDescription?: string | undefined
      cause?: unknown
    },
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause })
    this.endpoint = details.endpoint
    this.status = details.status
    this.error = details.error
    this.errorDescription = details.errorDescription
  }
}
