/** Why a loopback sign-in failed before the code could be exchanged for tokens. */
export type SignInFailureReason =
  /** The authorization server redirected back with an error, such as `access_denied`. */
  | 'authorization-error'
  /** The callback did not carry the expected `state`, or no code, or came from another issuer. */
  | 'invalid-callback'
  /** No callback arrived (or the exchange did not finish) within `timeoutMs`. */
  | 'timeout'
  /** The `signal` option aborted. */
  | 'aborted'
  /** The callback server could not listen, e.g. because the port is taken. */
  | 'callback-server'

import { redactTokenLike, TokenflightError } from '@tokenflight/core'

/**
 * A loopback sign-in failed: `reason` says how; an error redirect also carries the server's `error` code.
 */
export class SignInError extends TokenflightError {
  override name = 'SignInError' as const
  override readonly code = 'SIGN_IN_FAILED' as const
  readonly reason: SignInFailureReason
  /** The RFC 6749 error code of an error redirect, such as `access_denied`. */
  readonly error: string | undefined
  /** The server's `error_description` of an error redirect. */
  readonly errorDescription: string | undefined

  constructor(
    message: string,
    details: {
      reason: SignInFailureReason
      error?: string | undefined
      errorDescription?: string | undefined
      cause?: unknown
    },
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause })
    this.reason = details.reason
    this.error = details.error
    this.errorDescription = redactTokenLike(details.errorDescription)
  }
}
