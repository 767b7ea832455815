import { type RefreshFunction, SessionExpiredError } from '@tokenflight/core'
import * as oauth from 'oauth4webapi'
import {
  requestTokens,
  resolveTokenEndpoint,
  type TokenEndpointOptions,
  tokenEndpointOptionNames,
} from './token-endpoint.js'

/** Options of {@link refreshTokenGrant}. */
export type RefreshTokenGrantOptions = TokenEndpointOptions

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
export function refreshTokenGrant(options: RefreshTokenGrantOptions): RefreshFunction {
  const endpoint = resolveTokenEndpoint(options, {
    knownOptions,
    reservedParameters: ['refresh_token'],
  })
  return async ({ tokens, signal }) => {
    const refreshToken = tokens?.refreshToken
    if (refreshToken === undefined || refreshToken === '') {
      throw new SessionExpiredError('Session expired: there is no refresh token to refresh with')
    }
    return requestTokens(
      endpoint,
      {
        send: (server, requestOptions) =>
          oauth.refreshTokenGrantRequest(
            server,
            endpoint.client,
            endpoint.clientAuthentication,
            refreshToken,
            { ...requestOptions, additionalParameters: endpoint.parameters },
          ),
        process: (server, response) =>
          oauth.processRefreshTokenResponse(server, endpoint.client, response),
        secrets: [refreshToken],
        invalidGrantEndsSession: true,
      },
      signal,
    )
  }
}
