import type { TokenRefresher } from '../token-refresher.js'

/**
 * Formats the `Authorization` header value for an access token the refresher resolved: its token type, then the token.
 *
 * @example
 * headers.set('Authorization', authorizationFor(refresher, await refresher.getAccessToken()))
 */
export function authorizationFor(refresher: TokenRefresher, accessToken: string): string {
  const tokens = refresher.getTokens()
  // The token type belongs to the token set that holds this very token; a token the refresher has
  // already replaced keeps the default scheme rather than borrowing its successor's.
  const tokenType = tokens?.accessToken === accessToken ? (tokens.tokenType ?? 'Bearer') : 'Bearer'
  return `${tokenType} ${accessToken}`
}
