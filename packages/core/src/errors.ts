const inspectSymbol = Symbol.for('nodejs.util.inspect.custom')
const nativeHasInstance = Function.prototype[Symbol.hasInstance]
// Each class of the family brands its prototype with a symbol shared by every copy of core loaded in one program:
// an app may resolve two versions (an adapter's and its own), and an error made by one must still be recognized
// by the other's `instanceof`.
const brands = new Map<unknown, symbol>()

/**
 * Base of every error the tokenflight packages raise; `code` tells them apart. Its `toJSON` and Node `inspect`
 * output show names, codes and messages only, never a cause's properties, which may hold a token.
 * `instanceof` on this class and its subclasses also recognizes the errors of another copy of `@tokenflight/core`.
 */
export class TokenflightError extends Error {
  override name = 'TokenflightError'
  readonly code: string = 'TOKENFLIGHT_ERROR'

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class right of `instanceof`, maybe a subclass
    return isInstance(this, value)
  }

  /** Serializes to name, code and message only: a `cause` may carry a token endpoint's answer. */
  toJSON(): { name: string; code: string; message: string } {
    return { name: this.name, code: this.code, message: this.message }
  }

  // `util.inspect` and `console.log` in Node would print the whole cause chain,
  // and a cause such as an AxiosError holds the request config, whose body carries
  // the refresh token. Print each cause's name and message, never its properties.
  [inspectSymbol](): string {
    let text = `${this.stack ?? `${this.name}: ${this.message}`}\n  code: '${this.code}'`
    let cause = this.cause
    for (let depth = 0; cause !== undefined && depth < 5; depth++) {
      text += `\n  [cause]: ${describeCause(cause)}`
      cause = cause instanceof Error ? cause.cause : undefined
    }
    return text
  }
}

/**
 * Base class of the errors a refresh fails with (`RefreshFailedError`, `RefreshTimeoutError`, `SessionExpiredError`).
 */
export class TokenRefreshError extends TokenflightError {
  override name = 'TokenRefreshError'
  override readonly code: string = 'TOKEN_REFRESH_ERROR'
}

/**
 * The refresh function threw or resolved an invalid token set. Transient: the tokens are kept and the next call tries again.
 */
export class RefreshFailedError extends TokenRefreshError {
  override name = 'RefreshFailedError' as const
  override readonly code = 'REFRESH_FAILED' as const
}

/**
 * The refresh did not settle within `refreshTimeoutMs`; its signal was aborted. Transient.
 */
export class RefreshTimeoutError extends TokenRefreshError {
  override name = 'RefreshTimeoutError' as const
  override readonly code = 'REFRESH_TIMEOUT' as const
}

/**
 * The refresh token was rejected: the tokens are cleared and every later call rejects with this error until `setTokens`.
 */
export class SessionExpiredError extends TokenRefreshError {
  override name = 'SessionExpiredError' as const
  override readonly code = 'SESSION_EXPIRED' as const
}

/** What a token endpoint answered with, as {@link TokenEndpointError} carries it. */
export interface TokenEndpointErrorDetails {
  /** The RFC 6749 error code, such as `invalid_grant`; undefined when the server sent none. */
  error?: string | undefined
  /** The server's `error_description`; cleaned of anything token-like before it is kept. */
  errorDescription?: string | undefined
  /** The HTTP status of the answer; undefined when none arrived or it is not known. */
  status?: number | undefined
  /** How long the server asked to wait (`Retry-After`), in milliseconds. */
  retryAfterMs?: number | undefined
  cause?: unknown
}

/**
 * A token endpoint answered with an error (RFC 6749, section 5.2) or with something that is not a token response.
 * Its `error` code decides what a refresher makes of it: `invalid_grant` ends the session, the rest is transient.
 *
 * @example
 * throw new TokenEndpointError('Token endpoint answered 400 invalid_grant', { error: 'invalid_grant', status: 400 })
 */
export class TokenEndpointError extends TokenflightError {
  override name = 'TokenEndpointError'
  override readonly code: string = 'TOKEN_ENDPOINT_ERROR'
  readonly error: string | undefined
  readonly errorDescription: string | undefined
  readonly status: number | undefined
  readonly retryAfterMs: number | undefined

  constructor(message: string, details: TokenEndpointErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause })
    this.error = details.error
    this.errorDescription = redactTokenLike(details.errorDescription)
    this.status = details.status
    this.retryAfterMs = details.retryAfterMs
  }
}

// A run of token characters this long, with both letters and digits, is taken for a credential: servers quote the
// refresh token they refuse ("refresh token rt_81c3… was already used"), and a description reaches messages and logs.
const tokenLike = /[A-Za-z0-9\-._~+/]{16,}=*/g

/**
 * Blanks out of a server's text whatever looks like a token or a credential, such as a quoted refresh token or JWT.
 *
 * @example
 * redactTokenLike('refresh token 8xQ2vL0aP9mZ4kR7 was revoked') // 'refresh token [redacted] was revoked'
 */
export function redactTokenLike(text: string | undefined): string | undefined {
  if (text === undefined) return undefined
  return text.replace(tokenLike, (run) =>
    /\d/.test(run) && /[A-Za-z]/.test(run) ? '[redacted]' : run,
  )
}

function brand(target: abstract new (...args: never[]) => unknown, name: string): void {
  const symbol = Symbol.for(`@tokenflight/core.${name}`)
  Object.defineProperty(target.prototype, symbol, { value: true })
  brands.set(target, symbol)
}

brand(TokenflightError, 'TokenflightError')
brand(TokenRefreshError, 'TokenRefreshError')
brand(RefreshFailedError, 'RefreshFailedError')
brand(RefreshTimeoutError, 'RefreshTimeoutError')
brand(SessionExpiredError, 'SessionExpiredError')
brand(TokenEndpointError, 'TokenEndpointError')

function isInstance(target: unknown, value: unknown): boolean {
  if (nativeHasInstance.call(target, value)) return true
  // A subclass of the caller's own (not one of ours) is matched by its prototype chain alone.
  const symbol = brands.get(target)
  return symbol !== undefined && typeof value === 'object' && value !== null && symbol in value
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`
  if (typeof cause === 'object' && cause !== null) {
    // An RFC 6749 error body is safe to show and is what a reader needs.
    const { error, error_description: description } = cause as Record<string, unknown>
    if (typeof error === 'string') {
      return typeof description === 'string'
        ? `{ error: '${error}', error_description: '${redactTokenLike(description)}' }`
        : `{ error: '${error}' }`
    }
    return 'a non-Error object'
  }
  return `a thrown ${typeof cause}`
}
