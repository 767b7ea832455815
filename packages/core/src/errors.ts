const inspectSymbol = Symbol.for('nodejs.util.inspect.custom')
// Shared by every copy of core loaded in one program: an app may resolve two versions (an adapter's and its
// own), and an error made by one must still be recognized by the other.
const errorBrand = Symbol.for('@tokenflight/core.TokenRefreshError')
const nativeHasInstance = Function.prototype[Symbol.hasInstance]

/**
 * Base class of every error tokenflight raises about a refresh; `code` tells them apart.
 * `instanceof` also recognizes the errors of another copy of `@tokenflight/core`, by their brand and `code`.
 */
export class TokenRefreshError extends Error {
  override name = 'TokenRefreshError'
  readonly code: string = 'TOKEN_REFRESH_ERROR'

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

const baseCode = 'TOKEN_REFRESH_ERROR'

function isInstance(target: unknown, value: unknown): boolean {
  if (nativeHasInstance.call(target, value)) return true
  if (typeof value !== 'object' || value === null || !(errorBrand in value)) return false
  const code = codeOfClass.get(target)
  // A subclass of the caller's own (not one of ours) is matched by its prototype chain alone.
  if (code === undefined) return false
  return code === baseCode || (value as { code?: unknown }).code === code
}
const codeOfClass = new Map<unknown, string>([
  [TokenRefreshError, baseCode],
  [RefreshFailedError, 'REFRESH_FAILED'],
  [RefreshTimeoutError, 'REFRESH_TIMEOUT'],
  [SessionExpiredError, 'SESSION_EXPIRED'],
])
Object.defineProperty(TokenRefreshError.prototype, errorBrand, { value: true })

function describeCause(cause: unknown): string {
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`
  if (typeof cause === 'object' && cause !== null) {
    // An RFC 6749 error body is safe to show and is what a reader needs.
    const { error, error_description: description } = cause as Record<string, unknown>
    if (typeof error === 'string') {
      return typeof description === 'string'
        ? `{ error: '${error}', error_description: '${description}' }`
        : `{ error: '${error}' }`
    }
    return 'a non-Error object'
  }
  return `a thrown ${typeof cause}`
}
