import { TokenEndpointError } from '@tokenflight/core'

/**
 * The authorization server answered with an error or with something that is not OAuth, or could not be reached: a
 * refresher treats it as transient (the grants turn `invalid_grant` into `SessionExpiredError` instead).
 */
export class AuthorizationServerError extends TokenEndpointError {
  override name = 'AuthorizationServerError' as const
  override readonly code = 'AUTHORIZATION_SERVER_ERROR' as const
  /** The URL that was requested. */
  readonly endpoint: string

  constructor(
    message: string,
    details: {
      endpoint: string
      status?: number | undefined
      error?: string | undefined
      errorDescription?: string | undefined
      retryAfterMs?: number | undefined
      cause?: unknown
    },
  ) {
    super(message, details)
    this.endpoint = details.endpoint
  }
}
