import { type RefreshFunction, SessionExpiredError, type TokenSet } from '@tokenflight/core'
import * as oauth from 'oauth4webapi'
import { callScope } from './call-parameters.js'
import {
  requestTokens,
  resolveTokenEndpoint,
  type TokenEndpointOptions,
  tokenEndpointOptionNames,
} from './token-endpoint.js'

/** Options of {@link refreshTokenGrant}. */
export type RefreshTokenGrantOptions = TokenEndpointOptions

/**
 * The refresh function {@link refreshTokenGrant} returns, which also takes a `scope` per call: a narrower scope for
 * the new access token (RFC 6749, section 6), such as the `scope` of a refresher pool's key.
 */
export type RefreshTokenGrantFunction = (
  context: Parameters<RefreshFunction>[0] & {
    /** The scope to ask for instead of the `scope` option: space-separated, or a list of scopes. */
    scope?: string | readonly string[]
  },
) => Promise<TokenSet>

const knownOptions = new Set<string>(tokenEndpointOptionNames)

/**
 * Returns a refresh function that exchanges the refresher's refresh token for new tokens (RFC 6749, section 6);
 * `invalid_grant`, or no refresh token to send, ends the session with `SessionExpiredError`.
 *
 * @example
 * const refresher = createTokenRefresher({
 *   initialTokens: await signInWithLoopback({ issuer, clientId, scope: 'openid offline_access' }),
 *   refresh: refreshTokenGrant({ issuer, clientId }),
 * })
 */
export function refreshTokenGrant(options: RefreshTokenGrantOptions): RefreshTokenGrantFunction {
  const endpoint = resolveTokenEndpoint(options, {
    knownOptions,
    reservedParameters: ['refresh_token'],
  })
  return async ({ tokens, signal, scope, dpop }) => {
    const narrowed = callScope(scope)
    const refreshToken = tokens?.refreshToken
    if (refreshToken === undefined || refreshToken === '') {
      throw new SessionExpiredError('Session expired: there is no refresh token to refresh with')
    }
    const parameters =
      narrowed === undefined ? endpoint.parameters : { ...endpoint.parameters, scope: narrowed }
    return requestTokens(
      endpoint,
      {
        send: (server, requestOptions) =>
          oauth.refreshTokenGrantRequest(
            server,
            endpoint.client,
            endpoint.clientAuthentication,
            refreshToken,
            { ...requestOptions, additionalParameters: parameters },
          ),
        process: (server, response) =>
          oauth.processRefreshTokenResponse(server, endpoint.client, response),
        secrets: [refreshToken],
        invalidGrantEndsSession: true,
      },
      signal,
      dpop,
    )
  }
}
