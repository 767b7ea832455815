import { redactTokenLike, TokenEndpointError } from './errors.js'
import { readJwtExpiresAt } from './jwt.js'
import { describeKind, type TokenSet } from './token-set.js'

/** Options of {@link parseTokenResponse}. */
export interface ParseTokenResponseOptions {
  /** The clock that `expires_in` counts from, in epoch milliseconds. Default `Date.now`. */
  now?: () => number
}

/**
 * Turns a standard OAuth 2 token response (RFC 6749, section 5.1) into a `TokenSet`; an error response
 * (section 5.2) throws a `TokenEndpointError` carrying its `error` code, so that `invalid_grant` ends the session.
 *
 * `expires_in` counts from when the response is parsed; without it, the `exp` of a JWT access token is used.
 *
 * @example
 * refresh: async ({ tokens, signal }) => parseTokenResponse(await (await fetch(tokenUrl, { method: 'POST', body, signal })).json())
 */
export function parseTokenResponse(
  body: unknown,
  options: ParseTokenResponseOptions = {},
): TokenSet {
  const { now = Date.now } = options
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new TypeError(
      `Expected the token response to be a JSON object, got ${describeKind(body)}`,
    )
  }
  const response = body as Record<string, unknown>
  if (typeof response.error === 'string') throw tokenEndpointError(response)

  const {
    access_token: accessToken,
    token_type: tokenType,
    refresh_token: refreshToken,
    scope,
  } = response
  if (typeof accessToken !== 'string' || accessToken === '') {
    throw invalidField('access_token', 'a non-empty string', accessToken)
  }
  const tokens: TokenSet = { accessToken }
  if (tokenType !== undefined) {
    if (typeof tokenType !== 'string' || tokenType === '') {
      throw invalidField('token_type', 'a non-empty string', tokenType)
    }
    // Token types are case-insensitive (RFC 6749, section 5.1), and some APIs accept only `Bearer` (or `DPoP`).
    tokens.tokenType = canonicalTokenTypes.get(tokenType.toLowerCase()) ?? tokenType
  }
  const expiresAt = readExpiresAt(response.expires_in, accessToken, now)
  if (expiresAt !== undefined) tokens.expiresAt = expiresAt
  if (refreshToken !== undefined && refreshToken !== null) {
    if (typeof refreshToken !== 'string' || refreshToken === '') {
      throw invalidField('refresh_token', 'a non-empty string', refreshToken)
    }
    tokens.refreshToken = refreshToken
  }
  if (scope !== undefined && scope !== null) {
    if (typeof scope !== 'string') throw invalidField('scope', 'a string', scope)
    tokens.scope = scope
  }
  return tokens
}

const canonicalTokenTypes = new Map([
  ['bearer', 'Bearer'],
  ['dpop', 'DPoP'],
])

function readExpiresAt(
  expiresIn: unknown,
  accessToken: string,
  now: () => number,
): number | undefined {
  if (expiresIn === undefined || expiresIn === null) return readJwtExpiresAt(accessToken)
  // Some providers send the number of seconds as a string.
  const seconds =
    typeof expiresIn === 'string' && expiresIn.trim() !== '' ? Number(expiresIn) : expiresIn
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
    throw invalidField('expires_in', 'a non-negative number of seconds', expiresIn)
  }
  return now() + seconds * 1000
}

function invalidField(name: string, expected: string, value: unknown): TypeError {
  return new TypeError(
    `Expected \`${name}\` in the token response to be ${expected}, got ${describeKind(value)}`,
  )
}

function tokenEndpointError(response: Record<string, unknown>): TokenEndpointError {
  const { error, error_description: description } = response
  const errorDescription = redactTokenLike(
    typeof description === 'string' && description !== '' ? description : undefined,
  )
  const detail = errorDescription === undefined ? '' : `: ${errorDescription}`
  return new TokenEndpointError(`Token endpoint answered ${String(error)}${detail}`, {
    error: String(error),
    errorDescription,
  })
}
