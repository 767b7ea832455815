import { RefreshFailedError, SessionExpiredError, TokenRefreshError } from './errors.js'
import { describeKind } from './token-set.js'

/**
 * The default `isSessionExpired`: the refresh token was rejected, in the words of RFC 6749 or of the refresh function.
 * It matches a `SessionExpiredError`, an error whose `error` or `code` is `'invalid_grant'` (RFC 6749 bodies,
 * oauth4webapi), and an axios error whose response body says `invalid_grant`.
 *
 * @example
 * createTokenRefresher({ refresh, isSessionExpired: (error) => isInvalidGrant(error) || isRevoked(error) })
 */
export function isInvalidGrant(error: unknown): boolean {
  if (error instanceof SessionExpiredError) return true
  if (typeof error !== 'object' || error === null) return false
  const {
    error: oauthError,
    code,
    response,
  } = error as {
    error?: unknown
    code?: unknown
    response?: { data?: { error?: unknown } }
  }
  return (
    oauthError === 'invalid_grant' ||
    code === 'invalid_grant' ||
    response?.data?.error === 'invalid_grant'
  )
}

/**
 * Turns what a refresh function threw into the typed error its waiters get: `SessionExpiredError` when the refresh
 * token was rejected, `RefreshFailedError` (transient) otherwise; an error that is already typed stays as it is.
 */
export function classifyRefreshFailure(
  error: unknown,
  isSessionExpired: (error: unknown) => boolean,
): TokenRefreshError {
  if (error instanceof TokenRefreshError) return error
  let sessionExpired: boolean
  try {
    sessionExpired = isSessionExpired(error)
  } catch (predicateError) {
    return new RefreshFailedError('The `isSessionExpired` option threw', { cause: predicateError })
  }
  if (sessionExpired) {
    return new SessionExpiredError('Session expired: the refresh token was rejected', {
      cause: error,
    })
  }
  const what = error instanceof Error ? error.name : `a non-Error value (${describeKind(error)})`
  return new RefreshFailedError(`Refresh function threw ${what}`, { cause: error })
}
